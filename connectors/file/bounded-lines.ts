// NDJSON lines as bytes, each held in memory only up to a bound: a longer line is read through to its end but kept as
// an excerpt (head, size, SHA-256), so that one huge line costs neither the memory of the backfill nor the backfill.
import { createHash, type Hash } from "node:crypto";
import { DEAD_LETTER_HEAD_BYTES, type Excerpt } from "../dead-letter.ts";

export type Line = { bytes: Buffer; tooLong?: undefined } | { tooLong: Excerpt; bytes?: undefined };

const NEWLINE = 0x0a;
const CR = 0x0d;

export async function* boundedLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes: number,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let length = 0;
  let over: { head: Buffer[]; kept: number; hash: Hash } | undefined;
  const append = (piece: Buffer) => {
    length += piece.length;
    if (!over && length <= maxBytes) {
      parts.push(piece);
      return;
    }
    if (!over) {
      over = { head: [], kept: 0, hash: createHash("sha256") };
      const held = parts;
      parts = [];
      for (const p of held) keep(p);
    }
    keep(piece);
  };
  const keep = (piece: Buffer) => {
    if (!over) return;
    over.hash.update(piece);
    const room = DEAD_LETTER_HEAD_BYTES - over.kept;
    if (room > 0) {
      over.head.push(Buffer.from(piece.subarray(0, room)));
      over.kept += Math.min(room, piece.length);
    }
  };
  const finish = (): Line => {
    const line: Line = over
      ? { tooLong: { head: Buffer.concat(over.head), size: length, sha256: over.hash.digest("hex") } }
      : { bytes: withoutCr(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)) };
    parts = [];
    length = 0;
    over = undefined;
    return line;
  };
  for await (const chunk of input) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
      append(buf.subarray(start, nl));
      yield finish();
      start = nl + 1;
    }
    if (start < buf.length) append(buf.subarray(start));
  }
  if (length > 0) yield finish();
}

const withoutCr = (line: Buffer) => (line.at(-1) === CR ? line.subarray(0, -1) : line);
