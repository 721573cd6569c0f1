// What one checkpoint of one partition makes durable, all or nothing, and who makes it so: on Kafka one
// transaction of that partition's transactional producer (kafka-transactions.ts); in tests the driver's memory.
export interface OutRecord {
  topic: string;
  key: string | null;
  /** null: a tombstone (a deleted state key). */
  value: Buffer | null;
  /** Unset: the topic's partitioner (by key) chooses. */
  partition?: number;
}

export interface Checkpoint {
  /** The input partition this checkpoint belongs to. */
  partition: number;
  /** In order: changelog entries (in `partition`), records queued with ctx.send, dead letters. */
  records: OutRecord[];
  /** The next offset to read, per input topic (of `partition`), for the consumer group. */
  offsets: { topic: string; offset: bigint }[];
}

export interface TransactionSink {
  /**
   * Commits everything or nothing. Rejects with FencedError when a newer owner of the partition took over.
   * `flush` (the processor's sinks) runs inside, once the transaction's first request has shown that this owner
   * still holds the partition: a fenced instance's buffered sink writes are never made durable.
   */
  commit(checkpoint: Checkpoint, flush?: () => Promise<void>): Promise<void>;
}
