// A cloud record that failed validation or conversion, as a dead letter: the raw JSON byte for byte, so that a
// fixed connector can replay it. The reason is `invalid_record` unless the rejection names its own
// (`ts_out_of_range`).
import type { DeadLetter } from "../../../schemas/generated/types.ts";
import type { Rejected } from "../records/convert.ts";

export function rejectedRecord(endpoint: string, r: Rejected, receivedAt: number): DeadLetter {
  return {
    source: "hopecloud",
    original_topic: endpoint,
    key: r.id,
    payload: Buffer.from(JSON.stringify(r.raw) ?? "null"),
    reason: r.reason ?? "invalid_record",
    details: r.problems,
    received_at: receivedAt,
  };
}
