// A processor's consumer-group loop. Each partition batch is decoded, handed to the processor, its dead letters
// produced, and only then is its offset committed: a crash replays what was not fully written (at least once), so
// the processor's writes must be idempotent. A new group starts at the beginning of each topic, which rebuilds
// the processor's state from the whole log.
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { RecordName } from "../../schemas/generated/types.ts";
import { type Consumed, decodeBatch } from "./consumed.ts";
import type { Consumer, Producer } from "./kafka.ts";
import { TOPICS } from "./topics.ts";

export interface BatchInfo {
  topic: string;
  partition: number;
  /** The batch ends at the partition's last offset (as of the fetch). */
  caughtUp: boolean;
}

export interface ConsumeOptions<N extends RecordName> {
  /** Each topic and the record it holds. */
  topics: Readonly<Record<string, N>>;
  /** Why a decoded record cannot be processed (it is dead-lettered), or undefined. */
  refuse?: (record: Consumed<N>) => string | undefined;
  /** Called for every batch, even one whose records were all dead-lettered. */
  process: (records: Consumed<N>[], batch: BatchInfo) => Promise<void>;
}

export async function consume<N extends RecordName>(
  consumer: Consumer,
  producer: Producer,
  options: ConsumeOptions<N>,
): Promise<void> {
  const store = schemaStore();
  await consumer.subscribe({ topics: Object.keys(options.topics), fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
      const expected = options.topics[batch.topic];
      if (expected === undefined || !isRunning() || isStale() || batch.isEmpty()) return;
      const { records, deadLetters } = decodeBatch(batch.topic, expected, batch.messages, options.refuse);
      await options.process(records, {
        topic: batch.topic,
        partition: batch.partition,
        caughtUp: batch.offsetLag() === "0",
      });
      if (deadLetters.length > 0)
        await producer.send({
          topic: TOPICS.deadLetter,
          acks: -1,
          messages: deadLetters.map((d) => ({ key: d.key, value: store.encode("DeadLetter", d) })),
        });
      const last = batch.lastOffset();
      resolveOffset(last);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
      ]);
    },
  });
}
