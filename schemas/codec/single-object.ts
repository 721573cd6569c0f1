import type { Resolver, Type } from "avsc";
import { CodecError } from "./errors.ts";

// Avro single-object encoding: C3 01, the writer schema's CRC-64-AVRO fingerprint (8 bytes,
// little-endian), then the Avro binary body.
const MARKER_0 = 0xc3;
const MARKER_1 = 0x01;
export const HEADER_SIZE = 10;

/** How to read a body written with one writer schema: into `reader`, through `resolver` if they differ. */
export interface ReadPlan {
  readonly reader: Type;
  readonly resolver: Resolver | undefined;
}

/** The 10-byte header of every message written with the schema of this fingerprint. */
export function singleObjectHeader(fingerprint: bigint): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header[0] = MARKER_0;
  header[1] = MARKER_1;
  header.writeBigUInt64LE(fingerprint, 2);
  return header;
}

// Bodies are written into one growing scratch buffer, then copied once into an exact-size result.
let scratch = Buffer.allocUnsafe(16 * 1024);

/** Encodes a value already known to be valid for `writer`; `header` is `singleObjectHeader(writer's fingerprint)`. */
export function encodeSingleObject(writer: Type, header: Buffer, value: unknown): Buffer {
  let end = writer.encode(value, scratch, HEADER_SIZE);
  if (end < 0) {
    // avsc returns minus the number of bytes that did not fit.
    scratch = Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end));
    end = writer.encode(value, scratch, HEADER_SIZE);
  }
  const message = Buffer.allocUnsafe(end);
  header.copy(message, 0, 0, HEADER_SIZE);
  scratch.copy(message, HEADER_SIZE, HEADER_SIZE, end);
  return message;
}

/** The writer fingerprint of a single-object message; throws `bad_marker` if it is not one. */
export function readFingerprint(message: Buffer): bigint {
  if (message[0] !== MARKER_0 || message[1] !== MARKER_1) {
    const head = message.subarray(0, 4).toString("hex") || "nothing";
    throw new CodecError(
      "bad_marker",
      `not an Avro single-object message: expected marker c301, got ${head}`,
    );
  }
  if (message.length < HEADER_SIZE) {
    throw new CodecError(
      "truncated",
      `truncated single-object header: ${message.length} of ${HEADER_SIZE} bytes`,
    );
  }
  return message.readBigUInt64LE(2);
}

/** Decodes a message with the plan registered for its writer fingerprint. */
export function decodeSingleObject<P extends ReadPlan>(
  message: Buffer,
  plans: ReadonlyMap<bigint, P>,
): { plan: P; value: unknown } {
  const fingerprint = readFingerprint(message);
  const plan = plans.get(fingerprint);
  if (plan === undefined) {
    throw new CodecError(
      "unknown_fingerprint",
      `unknown writer schema fingerprint ${fingerprint.toString(16).padStart(16, "0")}: no loaded schema has it`,
    );
  }
  let decoded: { value: unknown; offset: number };
  try {
    decoded = plan.reader.decode(message, HEADER_SIZE, plan.resolver);
  } catch (error) {
    throw new CodecError("corrupt_body", `corrupt Avro body: ${(error as Error).message}`);
  }
  if (decoded.offset < 0) {
    throw new CodecError(
      "truncated",
      `truncated Avro body: ${message.length} bytes is too short for the schema`,
    );
  }
  if (decoded.offset !== message.length) {
    throw new CodecError(
      "trailing_bytes",
      `${message.length - decoded.offset} unexpected bytes after the Avro body`,
    );
  }
  return { plan, value: decoded.value };
}
