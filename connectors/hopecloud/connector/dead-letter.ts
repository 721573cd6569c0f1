// A cloud record that failed validation or conversion, as a dead letter: the raw JSON byte for byte (its head and
// hash when large, connectors/dead-letter.ts), so that a fixed connector can replay it. The reason is
// `invalid_record` unless the rejection names its own (`ts_out_of_range`).
import type { DeadLetter } from "../../../schemas/generated/types.ts";
import { deadLetter } from "../../dead-letter.ts";
import type { Rejected } from "../records/convert.ts";

export function rejectedRecord(endpoint: string, r: Rejected, receivedAt: number): DeadLetter {
  return deadLetter({
    source: "hopecloud",
    where: endpoint,
    key: r.id,
    input: Buffer.from(JSON.stringify(r.raw) ?? "null"),
    reason: r.reason ?? "invalid_record",
    details: r.problems,
    receivedAt,
  });
}
