// A cloud record that failed validation or conversion, as a dead letter: the raw JSON byte for byte, so that a
// fixed connector can replay it.
import type { DeadLetter } from "../../../schemas/generated/types.ts";
import type { InvalidRecord } from "../client/listing.ts";

export function rejectedRecord(endpoint: string, r: InvalidRecord, receivedAt: number): DeadLetter {
  return {
    source: "hopecloud",
    original_topic: endpoint,
    key: r.id,
    payload: Buffer.from(JSON.stringify(r.raw) ?? "null"),
    reason: "invalid_record",
    details: r.problems,
    received_at: receivedAt,
  };
}
