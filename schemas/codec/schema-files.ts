import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Schema } from "avsc";

/** The checked-in record schemas. */
export const AVRO_DIR = fileURLToPath(new URL("../avro/", import.meta.url));

// <family>.v<version>.avsc, e.g. telemetry-reading.v2.avsc.
const FILE_NAME = /^([a-z0-9]+(?:-[a-z0-9]+)*)\.v([1-9][0-9]*)\.avsc$/;

export interface SchemaVersion {
  readonly version: number;
  readonly schema: Schema;
}

/** All versions of one record schema, oldest first. */
export interface SchemaFamily {
  readonly family: string;
  readonly versions: readonly SchemaVersion[];
}

/** Reads every `.avsc` in `dir`, grouped by family; a misnamed `.avsc` is an error, not skipped. */
export function loadSchemaFamilies(dir: string = AVRO_DIR): SchemaFamily[] {
  const families = new Map<string, SchemaVersion[]>();
  const files = readdirSync(dir).filter((name) => name.endsWith(".avsc"));
  for (const file of files.sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`${join(dir, file)}: schema files are named <family>.v<N>.avsc`);
    const [, family = "", version = ""] = match;
    const schema = parseJson(join(dir, file));
    families.set(family, [...(families.get(family) ?? []), { version: Number(version), schema }]);
  }
  return [...families].map(([family, versions]) => ({
    family,
    versions: versions.sort((a, b) => a.version - b.version),
  }));
}

function parseJson(path: string): Schema {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Schema;
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}
