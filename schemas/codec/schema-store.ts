import type { Type } from "avsc";
import type { WattlineRecords } from "../generated/types.ts";
import { CodecError } from "./errors.ts";
import { schemaFingerprint } from "./fingerprint.ts";
import { parseSchema } from "./parse-schema.ts";
import { loadSchemaFamilies, type SchemaFamily } from "./schema-files.ts";
import {
  decodeSingleObject,
  encodeSingleObject,
  type ReadPlan,
  singleObjectHeader,
} from "./single-object.ts";
import { assertValid } from "./validate.ts";

/** One version of one record schema. */
export interface SchemaEntry {
  /** Record name without namespace, e.g. TelemetryReading. */
  readonly name: string;
  readonly version: number;
  readonly type: Type;
  /** CRC-64-AVRO of the Parsing Canonical Form; names the writer schema in every message. */
  readonly fingerprint: bigint;
}

/** A decoded message: the writer's record name and version, the record in the latest (reader) shape. */
export type DecodedRecord<M> = {
  [N in keyof M & string]: { name: N; version: number; record: M[N] };
}[keyof M & string];

interface Plan extends ReadPlan {
  readonly writer: SchemaEntry;
}

interface Writer {
  readonly entry: SchemaEntry;
  readonly header: Buffer;
}

/**
 * Encodes with the latest version of each record and decodes messages written with any loaded
 * version into the latest shape. Everything (types, fingerprints, resolvers, headers) is built
 * once here, so encode and decode only look things up.
 */
export class SchemaStore<M extends object = WattlineRecords> {
  readonly #versions = new Map<string, SchemaEntry[]>();
  readonly #writers = new Map<string, Writer>();
  readonly #plans = new Map<bigint, Plan>();

  constructor(families: readonly SchemaFamily[]) {
    for (const family of families) {
      const entries = family.versions.map(({ version, schema }, index) => {
        if (version !== index + 1) {
          throw new Error(
            `${family.family}: versions must run 1..N without gaps, found v${version} at #${index + 1}`,
          );
        }
        return this.#entry(family.family, version, parseSchema(schema));
      });
      const latest = entries.at(-1);
      if (!latest) continue;
      for (const entry of entries) {
        if (entry.name !== latest.name) {
          throw new Error(
            `${family.family}: v${entry.version} names ${entry.name}, v${latest.version} names ${latest.name}`,
          );
        }
        const clash = this.#plans.get(entry.fingerprint)?.writer;
        if (clash) {
          // Docs and defaults are not part of the canonical form: such edits are made in place.
          throw new Error(
            `${entry.name} v${entry.version} has the same canonical form as ${clash.name} v${clash.version}; a new version must change the encoding`,
          );
        }
        this.#plans.set(entry.fingerprint, {
          writer: entry,
          reader: latest.type,
          resolver: entry === latest ? undefined : resolve(latest, entry),
        });
      }
      if (this.#versions.has(latest.name)) {
        throw new Error(`record ${latest.name} is defined by two families`);
      }
      this.#versions.set(latest.name, entries);
      this.#writers.set(latest.name, { entry: latest, header: singleObjectHeader(latest.fingerprint) });
    }
  }

  /** Record names, in load order. */
  get names(): string[] {
    return [...this.#versions.keys()];
  }

  /** Every loaded version of a record, oldest first. */
  versions(name: keyof M & string): readonly SchemaEntry[] {
    return this.#versions.get(name) ?? unknownRecord(name);
  }

  /** The version new messages are written with and old ones are read into. */
  latest(name: keyof M & string): SchemaEntry {
    return (this.#writers.get(name) ?? unknownRecord(name)).entry;
  }

  /** Validates `record` against the latest version of `name` and encodes it as a single-object message. */
  encode<N extends keyof M & string>(name: N, record: M[N]): Buffer {
    const writer = this.#writers.get(name) ?? unknownRecord(name);
    assertValid(writer.entry.type, record, name);
    return encodeSingleObject(writer.entry.type, writer.header, record);
  }

  /** Decodes a single-object message written with any loaded version into the latest shape. */
  decode(message: Buffer): DecodedRecord<M> {
    const { plan, value } = decodeSingleObject(message, this.#plans);
    return { name: plan.writer.name, version: plan.writer.version, record: value } as DecodedRecord<M>;
  }

  #entry(family: string, version: number, type: Type): SchemaEntry {
    if (type.typeName !== "record" || type.name === undefined) {
      throw new Error(`${family} v${version}: a record schema is expected, got ${type.typeName}`);
    }
    const name = type.name.slice(type.name.lastIndexOf(".") + 1);
    return { name, version, type, fingerprint: schemaFingerprint(type) };
  }
}

function resolve(reader: SchemaEntry, writer: SchemaEntry): ReadPlan["resolver"] {
  try {
    return reader.type.createResolver(writer.type);
  } catch (error) {
    throw new Error(
      `${reader.name} v${reader.version} cannot read v${writer.version}: ${(error as Error).message}`,
    );
  }
}

function unknownRecord(name: string): never {
  throw new CodecError("unknown_record", `no schema loaded for record ${name}`);
}

let defaultStore: SchemaStore | undefined;

/** The store of the checked-in schemas (schemas/avro), loaded on first use. */
export function schemaStore(): SchemaStore {
  defaultStore ??= new SchemaStore(loadSchemaFamilies());
  return defaultStore;
}
