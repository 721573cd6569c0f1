import type { Type } from "avsc";

// CRC-64-AVRO, the Rabin fingerprint of the Avro specification ("Schema Fingerprints"). It is only
// computed when schemas load, so BigInt arithmetic is fast enough.
const EMPTY = 0xc15d213aa4d7a795n;
const TABLE = buildTable();

function buildTable(): BigUint64Array {
  const table = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
    table[i] = BigInt.asUintN(64, fp);
  }
  return table;
}

/** CRC-64-AVRO of raw bytes, as an unsigned 64-bit integer. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const byte of bytes) {
    fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] as bigint);
  }
  return fp;
}

/**
 * The Parsing Canonical Form of a parsed schema. avsc's `schema()` without `exportAttrs` is exactly
 * that: full names, no namespace/doc/aliases/default/order/logicalType, primitives as bare strings,
 * keys in the canonical order (name, type, fields, symbols, items, values, size). The unit tests pin
 * this against the Avro reference vectors.
 */
export function canonicalForm(type: Type): string {
  return JSON.stringify(type.schema());
}

/** CRC-64-AVRO fingerprint of a schema's Parsing Canonical Form. */
export function schemaFingerprint(type: Type): bigint {
  return crc64Avro(Buffer.from(canonicalForm(type), "utf8"));
}
