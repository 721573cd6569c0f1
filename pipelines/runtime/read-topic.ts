// Reads partitions of a topic from their start (or given offsets) up to given offsets (by default, what they hold
// now): restoring a changelog, recalculating a device, replaying a range. A throwaway consumer group, deleted
// afterwards. Where a partition is read from is sought once the group is joined, before its first fetch.
//
// The end is found by offsets the consumer has passed, not by the last message seen: a transactional log ends in
// a commit marker, a control record that kafkajs never hands over as a message, so the last message of such a
// log is one before its end and waiting for it would wait for ever. Each batch's lastOffset counts control
// records; a batch of nothing but markers (or aborted records) is not handed to eachBatch at all, but kafkajs
// still reports it with END_BATCH_PROCESS.
import { randomBytes } from "node:crypto";
import type { Kafka, KafkaMessage } from "../../ground/kafka.ts";

export interface ReadOptions {
  /** Partitions to read; all by default. */
  partitions?: number[];
  /** Last offset to read per partition (inclusive); by default the last one there now. */
  until?: ReadonlyMap<number, bigint>;
  /** First offset to read per partition; by default the partition's start. */
  from?: ReadonlyMap<number, bigint>;
  onBatch(partition: number, messages: KafkaMessage[]): Promise<void> | void;
}

export async function readTopic(kafka: Kafka, topic: string, options: ReadOptions): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  // The high offset here is the last stable one (read committed): a transaction still open is not waited for.
  const offsets = await admin.fetchTopicOffsets(topic);
  const remaining = new Map<number, bigint>();
  for (const o of offsets) {
    if (options.partitions && !options.partitions.includes(o.partition)) continue;
    const last = options.until?.get(o.partition) ?? BigInt(o.high) - 1n;
    const first = options.from?.get(o.partition) ?? BigInt(o.low);
    if (last >= BigInt(o.low) && last >= first && last >= 0n) remaining.set(o.partition, last);
  }
  if (remaining.size === 0) {
    await admin.disconnect();
    return;
  }
  const groupId = `wattline-read-${randomBytes(6).toString("hex")}`;
  // It reads up to a known end: no long polls at that end, which its disconnect would wait out (5 s by default).
  const consumer = kafka.consumer({ groupId, maxBytes: 16 * 1024 * 1024, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const first = (partition: number) => options.from?.get(partition) ?? 0n;
  // Setting the new group's offsets with the admin client instead costs seconds (it waits on the coordinator).
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const [partition, offset] of options.from ?? [])
      if (remaining.has(partition)) consumer.seek({ topic, partition, offset: offset.toString() });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      /** The consumer has passed `offset` of `partition`: that partition is done once it reaches its last. */
      const passed = (partition: number, offset: bigint) => {
        const last = remaining.get(partition);
        if (last === undefined || offset < last) return;
        remaining.delete(partition);
        consumer.pause([{ topic, partitions: [partition] }]);
        if (remaining.size === 0) resolve();
      };
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic === topic) passed(payload.partition, BigInt(payload.lastOffset));
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const last = remaining.get(batch.partition);
            if (last === undefined) {
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              return;
            }
            // A batch fetched before the seek took hold starts too early.
            const messages = within(batch.messages, first(batch.partition), last);
            try {
              if (messages.length > 0) await options.onBatch(batch.partition, messages);
            } catch (err) {
              // The read ends with the handler's error: kafkajs would otherwise retry the batch for ever.
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              reject(err);
              return;
            }
            passed(batch.partition, BigInt(batch.lastOffset()));
          },
        })
        .catch(reject);
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
    });
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}

/** The messages with offsets in [first, last]: the batch itself when its first and last are (its offsets rise). */
function within(messages: KafkaMessage[], first: bigint, last: bigint): KafkaMessage[] {
  const head = messages[0];
  const tail = messages.at(-1);
  if (head && tail && BigInt(head.offset) >= first && BigInt(tail.offset) <= last) return messages;
  return messages.filter((m) => {
    const offset = BigInt(m.offset);
    return offset >= first && offset <= last;
  });
}
