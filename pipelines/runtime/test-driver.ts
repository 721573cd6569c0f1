// Runs a Processor without a broker, as Kafka Streams' TopologyTestDriver does: the same PartitionTask as the
// Kafka runtime (lock, decoding, dead letters, processing, held offsets, dirty state, checkpoint contents,
// restore, punctuation), with the topics, the changelog, the committed offsets and the clock in memory. Tests pipe
// records, move the clock, checkpoint, crash, revoke and assign, fence, and look at what was committed.
import { createLogger, type Logger } from "../../ground/logger.ts";
import { changelogTopic, TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { DeadLetter, RecordName, WattlineRecords } from "../../schemas/generated/types.ts";
import type { OutRecord, TransactionSink } from "./checkpoint.ts";
import type { RawMessage } from "./consumed.ts";
import { FencedError } from "./fenced.ts";
import { PartitionTask } from "./partition-task.ts";
import type { Processor, StateStore } from "./processor.ts";
import type { TaskError } from "./task-error.ts";

export interface DriverOptions {
  /** Partitions of every input topic, all assigned by start(). Default 1. */
  partitions?: number;
  /** Default 1000. */
  checkpointMs?: number;
  /** How old a lazily put change gets before a checkpoint writes it. Default 0: at the next checkpoint. */
  lazyWriteMs?: number;
  /** The driver's wall clock at the start, epoch ms. Default 0. */
  startTime?: number;
  /** Messages per delivered batch; default all that are pending. */
  batchSize?: number;
  logger?: Logger;
}

export interface DriverMessage {
  key?: string | null;
  value: Buffer | null;
  /** Kafka message timestamp; default the driver's clock. */
  timestamp?: number;
}

const slot = (topic: string, partition: number) => `${topic}/${partition}`;

export class TestDriver<N extends RecordName, S> {
  /** Every task failure, in order. */
  readonly failures: TaskError[] = [];
  readonly #processor: Processor<N, S>;
  readonly #partitions: number;
  readonly #checkpointMs: number;
  readonly #lazyWriteMs: number;
  readonly #batchSize: number;
  readonly #logger: Logger;
  readonly #changelogTopic: string;
  #now: number;
  readonly #inputs = new Map<string, RawMessage[]>();
  /** The simulated consumer's position: next offset it delivers. */
  readonly #consumed = new Map<string, bigint>();
  readonly #committed = new Map<string, bigint>();
  readonly #changelog = new Map<number, OutRecord[]>();
  readonly #output: OutRecord[] = [];
  readonly #tasks = new Map<number, PartitionTask<N, S>>();
  /** Bumped by every new owner of a partition's transactional id: older sinks are fenced. */
  readonly #epochs = new Map<number, number>();
  #failNextCommit: Error | undefined;
  #transactions = 0;

  constructor(processor: Processor<N, S>, options: DriverOptions = {}) {
    this.#processor = processor;
    this.#partitions = options.partitions ?? 1;
    this.#checkpointMs = options.checkpointMs ?? 1000;
    this.#lazyWriteMs = options.lazyWriteMs ?? 0;
    this.#batchSize = options.batchSize ?? Number.POSITIVE_INFINITY;
    this.#logger = options.logger ?? createLogger("test-driver", "silent");
    this.#changelogTopic = changelogTopic(processor.name);
    this.#now = options.startTime ?? 0;
  }

  /** Assigns every partition. */
  async start(): Promise<void> {
    for (let p = 0; p < this.#partitions; p++) await this.assign(p);
  }

  now(): number {
    return this.#now;
  }

  // ---- input ----

  /** Appends messages to a topic-partition and delivers everything pending there. */
  async pipe(topic: string, partition: number, messages: readonly DriverMessage[]): Promise<void> {
    const log = this.#log(topic, partition);
    for (const m of messages)
      log.push({
        key: m.key === undefined || m.key === null ? null : Buffer.from(m.key),
        value: m.value,
        offset: String(log.length),
        timestamp: String(m.timestamp ?? this.#now),
      });
    await this.#deliver(topic, partition);
  }

  /** Encodes records (Avro single-object, as producers do) and pipes them, keyed by `keyOf`. */
  pipeRecords<K extends RecordName>(
    topic: string,
    partition: number,
    name: K,
    records: readonly WattlineRecords[K][],
    keyOf: (record: WattlineRecords[K]) => string | null = () => null,
  ): Promise<void> {
    const store = schemaStore();
    return this.pipe(
      topic,
      partition,
      records.map((r) => ({ key: keyOf(r), value: store.encode(name, r) })),
    );
  }

  // ---- time, checkpoints, ownership ----

  /** Moves the clock, firing punctuators and interval checkpoints at the times they fall due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const due = Math.min(...[...this.#tasks.values()].map((t) => t.nextDue()));
      if (!(due <= target)) break;
      this.#now = Math.max(this.#now, due);
      for (const [p, task] of [...this.#tasks])
        if (task.nextDue() <= this.#now) await this.#guard(p, task.tick(this.#now));
    }
    this.#now = target;
  }

  /** A checkpoint of one partition, or of all, now. */
  async checkpoint(partition?: number): Promise<void> {
    for (const [p, task] of [...this.#tasks])
      if (partition === undefined || p === partition) await this.#guard(p, task.checkpoint());
  }

  /**
   * Takes over a partition as a new owner: fences the previous one, restores the store from the changelog,
   * positions the consumer at the committed offsets, and delivers what is pending from there.
   */
  async assign(partition: number): Promise<void> {
    if (this.#tasks.has(partition)) return;
    const epoch = (this.#epochs.get(partition) ?? 0) + 1;
    this.#epochs.set(partition, epoch);
    const task: PartitionTask<N, S> = new PartitionTask(this.#processor, {
      partition,
      sink: this.#sink(partition, epoch),
      changelog: this.#changelogTopic,
      deadLetterTopic: TOPICS.deadLetter,
      checkpointMs: this.#checkpointMs,
      lazyWriteMs: this.#lazyWriteMs,
      clock: () => this.#now,
      logger: this.#logger.child({ partition }),
      onFailure: (err) => {
        this.failures.push(err);
        if (this.#tasks.get(partition) === task) this.#tasks.delete(partition);
      },
    });
    this.#tasks.set(partition, task);
    const committed = new Map<string, bigint>();
    for (const topic of Object.keys(this.#processor.topics)) {
      const offset = this.#committed.get(slot(topic, partition));
      if (offset !== undefined) committed.set(topic, offset);
      this.#consumed.set(slot(topic, partition), offset ?? 0n);
    }
    await task.open(this.#compacted(partition), committed);
    for (const topic of Object.keys(this.#processor.topics)) await this.#deliver(topic, partition);
  }

  /** Gives a partition up as a rebalance does: a last checkpoint, then close. */
  async revoke(partition: number): Promise<void> {
    const task = this.#tasks.get(partition);
    if (!task) return;
    this.#tasks.delete(partition);
    await task.close(true);
  }

  /** The instance dies: memory is lost (nothing checkpointed, no close), then the partition is taken over again. */
  async crash(partition?: number): Promise<void> {
    const lost = partition === undefined ? [...this.#tasks.keys()] : [partition];
    for (const p of lost) this.#tasks.delete(p);
    for (const p of lost) await this.assign(p);
  }

  /** Another instance initialises the partition's transactional id: this one's next checkpoint is refused. */
  fence(partition: number): void {
    this.#epochs.set(partition, (this.#epochs.get(partition) ?? 0) + 1);
  }

  /** The next checkpoint transaction fails with `error` (a broker that is gone). */
  failNextCommit(error: Error): void {
    this.#failNextCommit = error;
  }

  // ---- what there is to see ----

  /** Checkpoint transactions committed so far. */
  get transactions(): number {
    return this.#transactions;
  }

  task(partition: number): PartitionTask<N, S> | undefined {
    return this.#tasks.get(partition);
  }

  /** The live store of an assigned partition. */
  store(partition: number): StateStore<S> | undefined {
    return this.#tasks.get(partition)?.store;
  }

  /** The group's committed offset (next to read) of a topic-partition. */
  committed(topic: string, partition: number): bigint | undefined {
    return this.#committed.get(slot(topic, partition));
  }

  /** Every changelog record committed for a partition, in order; null: a tombstone. */
  changelog(partition: number): { key: string; value: S | null }[] {
    const codec = this.#processor.state;
    return (this.#changelog.get(partition) ?? []).map((r) => ({
      key: r.key ?? "",
      value: r.value === null || !codec ? null : codec.decode(r.value, r.key ?? ""),
    }));
  }

  /** Committed records other than the changelog (ctx.send and dead letters), optionally of one topic. */
  sent(topic?: string): OutRecord[] {
    return this.#output.filter((r) => topic === undefined || r.topic === topic);
  }

  deadLetters(): DeadLetter[] {
    const store = schemaStore();
    return this.sent(TOPICS.deadLetter).map(
      (r) => store.decode(r.value ?? Buffer.alloc(0)).record as DeadLetter,
    );
  }

  // ---- inside ----

  #log(topic: string, partition: number): RawMessage[] {
    if (!(topic in this.#processor.topics)) throw new Error(`${this.#processor.name} does not read ${topic}`);
    if (partition < 0 || partition >= this.#partitions) throw new Error(`no partition ${partition}`);
    const key = slot(topic, partition);
    let log = this.#inputs.get(key);
    if (!log) {
      log = [];
      this.#inputs.set(key, log);
    }
    return log;
  }

  async #deliver(topic: string, partition: number): Promise<void> {
    const log = this.#log(topic, partition);
    for (;;) {
      const task = this.#tasks.get(partition);
      const from = Number(this.#consumed.get(slot(topic, partition)) ?? 0n);
      if (!task || from >= log.length) return;
      const messages = log.slice(from, Math.min(log.length, from + this.#batchSize));
      const lastOffset = BigInt(from + messages.length - 1);
      const taken = await this.#guard(
        partition,
        task.handle({ topic, messages, lastOffset, caughtUp: lastOffset === BigInt(log.length - 1) }),
      );
      if (!taken) return;
      this.#consumed.set(slot(topic, partition), lastOffset + 1n);
    }
  }

  /**
   * A failed task is gone (onFailure removed it); the failure is the caller's. The work's checkpoints are committed
   * when it resolves, so that tests see each step's effects in order.
   */
  async #guard<T>(partition: number, work: Promise<T>): Promise<T> {
    const working = this.#tasks.get(partition);
    try {
      const result = await work;
      await working?.settled();
      return result;
    } catch (err) {
      const task = this.#tasks.get(partition);
      if (task && task.status === "failed") this.#tasks.delete(partition);
      throw err;
    }
  }

  /** The partition's changelog compacted: the last value per key, tombstoned keys left out. */
  #compacted(partition: number): Map<string, Buffer> {
    const entries = new Map<string, Buffer>();
    for (const r of this.#changelog.get(partition) ?? []) {
      if (r.key === null) continue;
      if (r.value === null) entries.delete(r.key);
      else entries.set(r.key, r.value);
    }
    return entries;
  }

  #sink(partition: number, epoch: number): TransactionSink {
    return {
      commit: async (checkpoint, flush) => {
        if (this.#epochs.get(partition) !== epoch) throw new FencedError(partition);
        const failure = this.#failNextCommit;
        if (failure) {
          this.#failNextCommit = undefined;
          throw failure;
        }
        await flush?.();
        let changelog = this.#changelog.get(partition);
        if (!changelog) {
          changelog = [];
          this.#changelog.set(partition, changelog);
        }
        for (const r of checkpoint.records) {
          if (r.topic === this.#changelogTopic) changelog.push(r);
          else this.#output.push(r);
        }
        for (const { topic, offset } of checkpoint.offsets)
          this.#committed.set(slot(topic, partition), offset);
        this.#transactions++;
      },
    };
  }
}
