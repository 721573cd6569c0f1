// A partition of a changelog read to its end (read committed, so only checkpoints that committed): the last value
// per key, deleted keys left out. What a new owner of the partition starts from.
import type { Kafka } from "../../ground/kafka.ts";
import { readTopic } from "./read-topic.ts";

export async function readChangelog(
  kafka: Kafka,
  topic: string,
  partition: number,
): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  await readTopic(kafka, topic, {
    partitions: [partition],
    onBatch(_partition, messages) {
      for (const m of messages) {
        const key = m.key?.toString();
        if (key === undefined) continue;
        if (m.value === null) entries.delete(key);
        else entries.set(key, m.value);
      }
    },
  });
  return entries;
}
