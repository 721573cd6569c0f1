// A batch of Kafka messages decoded: records of the kind the topic holds, and dead letters for the rest (bytes that
// do not decode, another record than the topic's, or a record the processor refuses), so that one bad message
// never stalls a partition.
import { CodecError } from "../../schemas/codec/errors.ts";
import { type DecodedRecord, schemaStore } from "../../schemas/codec/schema-store.ts";
import type { DeadLetter, RecordName, WattlineRecords } from "../../schemas/generated/types.ts";
import type { KafkaMessage } from "./kafka.ts";

export type Consumed<N extends RecordName> = Extract<DecodedRecord<WattlineRecords>, { name: N }>;

export interface DecodedBatch<N extends RecordName> {
  records: Consumed<N>[];
  deadLetters: DeadLetter[];
}

export function decodeBatch<N extends RecordName>(
  topic: string,
  expected: N,
  messages: readonly KafkaMessage[],
  refuse: (record: Consumed<N>) => string | undefined = () => undefined,
): DecodedBatch<N> {
  const store = schemaStore();
  const out: DecodedBatch<N> = { records: [], deadLetters: [] };
  for (const message of messages) {
    const key = message.key?.toString() ?? null;
    const payload = message.value ?? Buffer.alloc(0);
    const dead = (reason: string, details: string) =>
      out.deadLetters.push({
        source: "stream",
        original_topic: topic,
        key,
        payload,
        reason,
        details,
        received_at: Date.now(),
      });
    let decoded: DecodedRecord<WattlineRecords>;
    try {
      decoded = store.decode(payload);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      dead(err.code, err.message);
      continue;
    }
    if (decoded.name !== expected) {
      dead("unexpected_record", `${decoded.name} on ${topic}, which holds ${expected}`);
      continue;
    }
    const consumed = decoded as Consumed<N>;
    const refusal = refuse(consumed);
    if (refusal === undefined) out.records.push(consumed);
    else dead("invalid_record", refusal);
  }
  return out;
}
