// Every connector's dead letters are bounded: the first DEAD_LETTER_HEAD_BYTES of the refused input, with the whole
// input's size and SHA-256 in `details` when it was cut. A dead letter then always fits a Kafka batch, however large
// the input that caused it, and the full input can still be identified (or matched against a device's own copy).
import { createHash } from "node:crypto";
import type { DeadLetter } from "../schemas/generated/types.ts";
import { clip } from "./limits.ts";

export const DEAD_LETTER_HEAD_BYTES = 4096;
const MAX_DETAILS_LENGTH = 1024;

/** What a dead letter keeps of an input too large to keep whole: its head, and its whole size and hash. */
export interface Excerpt {
  head: Buffer;
  size: number;
  sha256: string;
}

export function excerpt(input: Buffer): Excerpt {
  return {
    head: input.subarray(0, DEAD_LETTER_HEAD_BYTES),
    size: input.length,
    sha256: createHash("sha256").update(input).digest("hex"),
  };
}

export interface Refusal {
  source: string;
  /** Where the input came from: MQTT topic, file:line, endpoint. */
  where: string;
  key: string | null;
  input: Buffer | Excerpt;
  reason: string;
  details: string | null;
  receivedAt: number;
}

export function deadLetter(r: Refusal): DeadLetter {
  const whole = Buffer.isBuffer(r.input) && r.input.length <= DEAD_LETTER_HEAD_BYTES;
  const cut = whole ? undefined : Buffer.isBuffer(r.input) ? excerpt(r.input) : r.input;
  const details = r.details === null ? null : clip(r.details, MAX_DETAILS_LENGTH);
  const note = cut && `payload ${cut.size} bytes, sha256 ${cut.sha256}, first ${cut.head.length} kept`;
  return {
    source: r.source,
    original_topic: clip(r.where),
    key: r.key === null ? null : clip(r.key),
    payload: cut ? cut.head : (r.input as Buffer),
    reason: r.reason,
    details: note ? (details === null ? note : `${details}; ${note}`) : details,
    received_at: r.receivedAt,
  };
}
