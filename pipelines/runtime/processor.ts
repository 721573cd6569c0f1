// What a stream processor is to the runtime, in the shape Kafka Streams made standard: a Processor folds decoded
// records of co-partitioned topics into a per-partition StateStore and writes its own sinks; Punctuators are
// wall-clock timers; the runtime owns consuming, decoding, dead letters, locking, checkpoints (changelog, queued
// records and input offsets in one Kafka transaction), restore and fencing. The same contract runs on Kafka
// (runtime.ts) and without a broker (test-driver.ts), both through partition-task.ts.
import type { Logger } from "../../ground/logger.ts";
import type { RecordName } from "../../schemas/generated/types.ts";
import type { InputRecord, Refusal, Refused } from "./consumed.ts";

export type { InputRecord, RecordOrigin, Refusal, Refused } from "./consumed.ts";

/** Turns a processor's state value into changelog bytes and back (Avro for anything that lives long). */
export interface StateCodec<S> {
  encode(value: S): Buffer;
  /** `key`: the store key the bytes were saved under (the runtime always passes it). */
  decode(bytes: Buffer, key?: string): S;
}

/**
 * One partition's key-value state. put/delete mark the key dirty; the runtime writes dirty keys (a delete as a
 * tombstone) to the changelog at checkpoints only, never per batch.
 */
export interface StateStore<S> {
  get(key: string): S | undefined;
  /** Written at the next checkpoint. */
  put(key: string, value: S): void;
  /**
   * Written at the first checkpoint once the change is the runtime's lazy interval old (WATTLINE_STATE_WRITE_MS),
   * or at revoke and shutdown: for a change that reading the input again re-derives, and that nothing outside the
   * state has seen (no ctx.send). Until then the runtime commits no input offset past what the key's last written
   * value needs, so a restart restores that value and reads again every input since.
   */
  putLazy(key: string, value: S): void;
  /** True when the key was there. */
  delete(key: string): boolean;
  has(key: string): boolean;
  keys(): IterableIterator<string>;
  entries(): IterableIterator<[string, S]>;
  readonly size: number;
}

/** What a processor sees of the partition it works on. Valid from init until close. */
export interface PartitionContext<S> {
  readonly processor: string;
  readonly partition: number;
  /** Stateless processors (no `state` codec) get a store that refuses writes. */
  readonly store: StateStore<S>;
  readonly logger: Logger;
  /** Wall-clock time as the runtime sees it (the driver's clock in tests). */
  now(): number;
  /**
   * Queues a record for the next checkpoint's transaction: consumers that read committed (the default) see it
   * together with the state and offsets of that checkpoint, or never. For derived records (late readings).
   */
  send(topic: string, key: string | null, value: Buffer | null, partition?: number): void;
  /** Asks for a checkpoint at the end of the current work instead of at the next interval. */
  requestCheckpoint(): void;
  /**
   * Runs `work` under this partition's lock, after the work already queued: for results computed off the lock
   * (a recalculation that reads Kafka). Resolves false, without running it, if the partition is gone by then.
   * Never await it from process/punctuate/flush/init: they hold the lock, so that would wait for ever. It
   * runs once every checkpoint taken before it is committed.
   */
  exclusive(work: () => Promise<void> | void): Promise<boolean>;
}

/** Where the records of one `process` call come from. */
export interface BatchInfo {
  topic: string;
  partition: number;
  /** Offset of the first message handed over (dead-lettered ones included). */
  firstOffset: bigint;
  /** Offset of the batch's last message, control records included. */
  lastOffset: bigint;
  /** The batch reached the partition's end as of the fetch. */
  caughtUp: boolean;
  /** Messages of this batch the runtime dead-lettered (undecodable, another record, refused). */
  deadLetters: readonly Refused[];
}

export interface Punctuator<S> {
  intervalMs: number;
  /** Runs per assigned partition, every `intervalMs` of wall-clock time, under that partition's lock. */
  punctuate(ctx: PartitionContext<S>, now: number): Promise<void> | void;
}

export interface Processor<N extends RecordName, S = never> {
  /** Names its logs, metrics, changelog topic (changelogTopic(name)) and transactional ids. */
  name: string;
  /**
   * Input topic → the record it holds, or the records (one topic, one order per key: a device's readings and
   * events). Co-partitioned (same partition count, keyed alike, by device).
   */
  topics: Readonly<Record<string, N | readonly N[]>>;
  /** Only stateful processors get a store that persists, and a changelog. */
  state?: StateCodec<S>;
  /** Why a decoded record cannot be processed (it is dead-lettered: as `invalid_record`, or with its own reason). */
  refuse?(record: InputRecord<N>): Refusal | undefined;
  /** Folds a batch of one topic-partition, in offset order. Called even when every message was dead-lettered. */
  process(ctx: PartitionContext<S>, records: InputRecord<N>[], batch: BatchInfo): Promise<void> | void;
  /**
   * The lowest offset of `topic` (this partition) that must be read again after a restart: input buffered in
   * memory and not yet in the store. The runtime never commits past it. Undefined: nothing held.
   */
  held?(ctx: PartitionContext<S>, topic: string): bigint | undefined;
  /**
   * Takes this partition's sink writes since the last checkpoint, now (batches go on while the checkpoint commits),
   * and returns the write that makes them durable, or undefined when there are none. The runtime runs it inside the
   * checkpoint's transaction once the first request showed that this instance still owns the partition, before
   * the transaction commits: a fenced instance never writes, and a failed write fails the checkpoint. Writes run
   * one at a time, in the order they were taken. `final`: the partition's last checkpoint here (revoke, shutdown),
   * so nothing kept for a later one would be written by this instance.
   */
  flush?(ctx: PartitionContext<S>, final: boolean): (() => Promise<void>) | undefined;
  /** The partition is assigned and its store restored. */
  init?(ctx: PartitionContext<S>): Promise<void> | void;
  /** The partition is revoked, closed at shutdown, or dropped after a failure: release what init took. */
  close?(ctx: PartitionContext<S>): Promise<void> | void;
  punctuators?: readonly Punctuator<S>[];
}
