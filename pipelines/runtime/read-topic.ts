// Reads partitions of a topic from their start up to given offsets (by default, what they hold now): restoring a
// changelog, recalculating a device, replaying a range. A throwaway consumer group, deleted afterwards.
import { randomBytes } from "node:crypto";
import type { Kafka, KafkaMessage } from "kafkajs";

export interface ReadOptions {
  /** Partitions to read; all by default. */
  partitions?: number[];
  /** Last offset to read per partition (inclusive); by default the last one there now. */
  until?: ReadonlyMap<number, bigint>;
  onBatch(partition: number, messages: KafkaMessage[]): Promise<void> | void;
}

export async function readTopic(kafka: Kafka, topic: string, options: ReadOptions): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  const remaining = new Map<number, bigint>();
  for (const o of offsets) {
    if (options.partitions && !options.partitions.includes(o.partition)) continue;
    const last = options.until?.get(o.partition) ?? BigInt(o.high) - 1n;
    if (last >= BigInt(o.low) && last >= 0n) remaining.set(o.partition, last);
  }
  if (remaining.size === 0) {
    await admin.disconnect();
    return;
  }
  const groupId = `wattline-read-${randomBytes(6).toString("hex")}`;
  const consumer = kafka.consumer({ groupId, maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const last = remaining.get(batch.partition);
            if (last === undefined) {
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              return;
            }
            const messages = batch.messages.filter((m) => BigInt(m.offset) <= last);
            if (messages.length > 0) await options.onBatch(batch.partition, messages);
            const end = batch.messages.at(-1);
            if (end && BigInt(end.offset) >= last) {
              remaining.delete(batch.partition);
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              if (remaining.size === 0) resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}
