// A partition's checkpoints on Kafka: one transactional producer per input partition, transactional id
// `${groupId}.${processor}.${partition}` (Kafka Streams' exactly-once "alpha" scheme). Each checkpoint is one
// transaction: changelog entries, queued records and dead letters, and the group's input offsets (sendOffsets), so
// read-committed readers see all of it or none. Whoever initialises the id later bumps its epoch: from then on
// the broker refuses this producer's sends, offsets and commits, which surface here as FencedError.

import type { Producer, Transaction } from "../../ground/kafka.ts";
import type { Checkpoint, OutRecord, TransactionSink } from "./checkpoint.ts";
import { FencedError, isConcurrentTransaction, isFenced } from "./fenced.ts";

/** Bytes per send: one send is one record batch, which the broker refuses past its limit (1 MiB by default). */
const SEND_BYTES = 512 * 1024;

/** Tries of a checkpoint that meets its previous transaction still being completed: 20 ms, 40 ms, … apart. */
const CONCURRENT_ATTEMPTS = 20;

export const transactionalId = (groupId: string, processor: string, partition: number) =>
  `${groupId}.${processor}.${partition}`;

type Message = { key: string | null; value: Buffer | null; partition?: number };

/** Consecutive records of one topic, cut at SEND_BYTES. */
function* sends(records: readonly OutRecord[]): Generator<{ topic: string; messages: Message[] }> {
  let topic: string | undefined;
  let messages: Message[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 64;
    if (topic !== undefined && (r.topic !== topic || bytes + size > SEND_BYTES) && messages.length > 0) {
      yield { topic, messages };
      messages = [];
      bytes = 0;
    }
    topic = r.topic;
    messages.push(
      r.partition === undefined
        ? { key: r.key, value: r.value }
        : { key: r.key, value: r.value, partition: r.partition },
    );
    bytes += size;
  }
  if (topic !== undefined && messages.length > 0) yield { topic, messages };
}

export class KafkaTransactions implements TransactionSink {
  constructor(
    private readonly producer: Producer,
    private readonly groupId: string,
    private readonly partition: number,
  ) {}

  /**
   * InitProducerId for the transactional id: fences every older producer of it, and the broker completes a
   * transaction such a producer left open before answering. Call before reading the changelog and the offsets.
   */
  async fence(): Promise<void> {
    try {
      const txn = await this.producer.transaction();
      // Nothing was added to it: kafkajs sends no EndTxn, it only resets its local state.
      await txn.abort();
    } catch (err) {
      if (isFenced(err)) throw new FencedError(this.partition, { cause: err });
      throw err;
    }
  }

  /**
   * One checkpoint as one transaction. Until the flush starts nothing of it is written anywhere, so a broker still
   * finishing the previous transaction (CONCURRENT_TRANSACTIONS) is waited for and the transaction begun again;
   * after that, any failure is the caller's (which of the sink's writes landed cannot be known).
   */
  async commit(checkpoint: Checkpoint, flush?: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let txn: Transaction | undefined;
      let flushing = false;
      try {
        txn = await this.producer.transaction();
        const pending = [...sends(checkpoint.records)];
        // The first request carries the producer's epoch: a fenced owner fails here, before it flushes its sinks.
        if (checkpoint.offsets.length > 0)
          await txn.sendOffsets({
            consumerGroupId: this.groupId,
            topics: checkpoint.offsets.map(({ topic, offset }) => ({
              topic,
              partitions: [{ partition: checkpoint.partition, offset: offset.toString() }],
            })),
          });
        else {
          const first = pending.shift();
          if (first) await txn.send({ topic: first.topic, acks: -1, messages: first.messages });
        }
        flushing = true;
        await flush?.();
        for (const { topic, messages } of pending) await txn.send({ topic, acks: -1, messages });
        await txn.commit();
        return;
      } catch (err) {
        if (isFenced(err)) throw new FencedError(checkpoint.partition, { cause: err });
        if (txn?.isActive()) await txn.abort().catch(() => {});
        if (flushing || !isConcurrentTransaction(err) || attempt >= CONCURRENT_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }
}
