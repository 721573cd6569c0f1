// What the ledger refuses of the readings it decodes, and the dead letter it writes for each: the connectors' rule
// on timestamps (pipelines/core/ts-range.ts) applied again, for records that other producers wrote or that were
// written before the connectors checked. A refused reading is never folded, nor rebuilt in a recalculation.
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { DeadLetter, TelemetryReading } from "../../schemas/generated/types.ts";
import { TS_OUT_OF_RANGE, tsOutOfRange } from "../core/ts-range.ts";

export interface Refusal {
  reason: string;
  details: string;
}

/** Why the ledger refuses this reading, or undefined when it may be folded. */
export function refuseReading(record: TelemetryReading, maxFutureMs: number): Refusal | undefined {
  const details = tsOutOfRange(record.ts, record.received_at, maxFutureMs);
  return details === undefined ? undefined : { reason: TS_OUT_OF_RANGE, details };
}

/** The dead letter of a refused Kafka message, as the stream's other dead letters (pipelines/runtime/consumed.ts). */
export function refusedLetter(
  topic: string,
  key: string | null,
  payload: Buffer,
  refusal: Refusal,
  now: number = Date.now(),
): DeadLetter {
  return {
    source: "stream",
    original_topic: topic,
    key,
    payload,
    reason: refusal.reason,
    details: refusal.details,
    received_at: now,
  };
}

/** A refused message as a message for the dead-letter topic: keyed like the original, the dead letter encoded. */
export function refusedMessage(
  topic: string,
  key: string,
  payload: Buffer,
  refusal: Refusal,
): { key: string; value: Buffer } {
  return { key, value: schemaStore().encode("DeadLetter", refusedLetter(topic, key, payload, refusal)) };
}
