// One assigned partition of a processor: its lock, store, positions, queued records and timers. This is the whole
// of the runtime's per-partition logic, shared by the Kafka runtime and the test driver; each injects the clock
// and the TransactionSink that makes a checkpoint durable.
//
// Everything a partition does (batches, punctuations, taking checkpoints, work queued with ctx.exclusive, close)
// runs on one promise chain, so none of it overlaps. Between checkpoints nothing is written anywhere: state
// changes, ctx.send records, dead letters and the processor's sink writes wait in memory for the next checkpoint,
// which puts them and the input offsets in one transaction. The offset committed per topic is the next one after
// the last record processed, or the processor's `held` offset if lower, or the floor of the oldest state change put
// lazily and not written yet if lower still: a restart re-reads what only memory held.
//
// A checkpoint is taken under the lock (everything it writes is copied out of memory at once) and committed off
// it, so that batches go on while the transaction's round trips run. Commits run one at a time, in order: a
// checkpoint that falls due while the previous one commits is taken by the first batch or tick after that commit.
// A failed commit fails the task, whose memory is then dropped, as after a crash: what the failed transaction held
// is re-read from the last committed offsets.
import type { Logger } from "../../ground/logger.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { RecordName } from "../../schemas/generated/types.ts";
import type { OutRecord, TransactionSink } from "./checkpoint.ts";
import { decodeInput, type RawMessage } from "./consumed.ts";
import type { PartitionContext, Processor, Punctuator, StateStore } from "./processor.ts";
import {
  changelogWrites,
  checkpointSeconds,
  checkpoints,
  deadLettered,
  recordsProcessed,
} from "./runtime-metrics.ts";
import { serial } from "./serial.ts";
import { MemoryStateStore, NoStateStore } from "./state-store.ts";
import { TaskError, type TaskStage } from "./task-error.ts";

/** How soon a checkpoint deferred by a commit under way is looked at again when no batch comes. */
const CHECK_DEFERRED_MS = 100;

export interface TaskSettings {
  partition: number;
  sink: TransactionSink;
  /** The processor's changelog topic (changelogTopic(name)); unused when it has no state. */
  changelog: string;
  deadLetterTopic: string;
  checkpointMs: number;
  /** How old a change put lazily (StateStore.putLazy) gets before a checkpoint writes it; 0: at the next one. */
  lazyWriteMs: number;
  clock: () => number;
  logger: Logger;
  /** Told once when the task fails, whichever path failed it (a batch, a timer, queued work). */
  onFailure?: (error: TaskError) => void;
}

/** One fetched batch of one topic of this partition. */
export interface RawBatch {
  topic: string;
  messages: readonly RawMessage[];
  /** Offset of the batch's last message, control records included. */
  lastOffset: bigint;
  caughtUp: boolean;
}

export type TaskStatus = "new" | "open" | "failed" | "closed";

export class PartitionTask<N extends RecordName, S> {
  readonly partition: number;
  readonly #processor: Processor<N, S>;
  readonly #settings: TaskSettings;
  readonly #lock = serial();
  readonly #memory: MemoryStateStore<S> | undefined;
  readonly #ctx: PartitionContext<S>;
  readonly #punctuations: { punctuator: Punctuator<S>; next: number }[];
  #status: TaskStatus = "new";
  #failure: TaskError | undefined;
  /** Set synchronously by close(): work already queued is skipped. */
  #closing = false;
  /** Next offset to process, per input topic. */
  readonly #position = new Map<string, bigint>();
  /** Offset last committed, per input topic. */
  readonly #committed = new Map<string, bigint>();
  /**
   * Per input topic, the offset a restart would read from: the committed offsets at open (or a new topic's first
   * offset), then those of the last checkpoint taken. Replaced, never changed: lazy changes keep the one of their
   * time (state-store.ts).
   */
  #floor: ReadonlyMap<string, bigint> = new Map();
  #outbox: OutRecord[] = [];
  #lastCheckpoint = 0;
  #checkpointAsked = false;
  /** The commit of the last checkpoint taken; it never rejects (a failure fails the task). */
  #committing: Promise<void> = Promise.resolve();
  /** A checkpoint's commit is under way. */
  #inFlight = false;
  /** init was called: close must be too. */
  #initialised = false;

  constructor(processor: Processor<N, S>, settings: TaskSettings) {
    this.partition = settings.partition;
    this.#processor = processor;
    this.#settings = settings;
    this.#memory = processor.state
      ? new MemoryStateStore<S>(
          () => this.#floor,
          () => this.#settings.clock(),
        )
      : undefined;
    const store: StateStore<S> = this.#memory ?? (new NoStateStore(processor.name) as StateStore<S>);
    this.#punctuations = (processor.punctuators ?? []).map((punctuator) => ({ punctuator, next: 0 }));
    this.#ctx = {
      processor: processor.name,
      partition: settings.partition,
      store,
      logger: settings.logger,
      now: settings.clock,
      send: (topic, key, value, partition) => {
        this.#outbox.push(partition === undefined ? { topic, key, value } : { topic, key, value, partition });
      },
      requestCheckpoint: () => {
        this.#checkpointAsked = true;
      },
      // Work queued off the lock (a recalculation) reads what the sinks hold: every checkpoint taken is committed.
      exclusive: (work) =>
        this.#run("process", false, async () => {
          await this.#committing;
          if (this.#failure) throw this.#failure;
          await work();
          return true;
        }),
    };
  }

  get status(): TaskStatus {
    return this.#status;
  }

  get failure(): TaskError | undefined {
    return this.#failure;
  }

  /** The store as the processor sees it (for the test driver). */
  get store(): StateStore<S> {
    return this.#ctx.store;
  }

  /** Next offset to process of `topic`; undefined before the first batch when nothing was committed. */
  position(topic: string): bigint | undefined {
    return this.#position.get(topic);
  }

  committed(topic: string): bigint | undefined {
    return this.#committed.get(topic);
  }

  /** When tick() has something to do: a punctuation or the checkpoint interval. */
  nextDue(): number {
    if (this.#status !== "open" || this.#closing) return Number.POSITIVE_INFINITY;
    let due = this.#lastCheckpoint + this.#settings.checkpointMs;
    // A checkpoint due during a commit waits for it: looked at again shortly, not in a loop.
    if (this.#inFlight)
      due = Math.max(due, this.#settings.clock() + Math.min(CHECK_DEFERRED_MS, this.#settings.checkpointMs));
    for (const p of this.#punctuations) due = Math.min(due, p.next);
    return due;
  }

  /**
   * Takes over the partition: the store from the changelog's entries (the last per key, tombstones already
   * removed) and the group's committed offsets, where reading resumes. Then the processor's init.
   */
  open(restored: Iterable<[string, Buffer]>, committed: ReadonlyMap<string, bigint>): Promise<void> {
    return this.#lock(async () => {
      if (this.#status !== "new") throw new Error(`partition ${this.partition} opened twice`);
      try {
        const codec = this.#processor.state;
        if (codec && this.#memory)
          for (const [key, bytes] of restored) this.#memory.restore(key, codec.decode(bytes, key));
        for (const topic of Object.keys(this.#processor.topics)) {
          const offset = committed.get(topic);
          if (offset === undefined || offset < 0n) continue;
          this.#position.set(topic, offset);
          this.#committed.set(topic, offset);
        }
        this.#floor = new Map(this.#committed);
        const now = this.#settings.clock();
        this.#lastCheckpoint = now;
        for (const p of this.#punctuations) p.next = now + p.punctuator.intervalMs;
        this.#status = "open";
        this.#initialised = true;
        await this.#processor.init?.(this.#ctx);
      } catch (err) {
        this.#fail("open", err);
      }
    });
  }

  /**
   * Decodes, dead-letters and processes a batch, skipping messages before the position (delivered again after a
   * rejoin or a seek). Resolves false when the task is closed: the batch was not taken.
   */
  handle(batch: RawBatch): Promise<boolean> {
    return this.#run("process", false, async () => {
      const expected = this.#processor.topics[batch.topic];
      if (expected === undefined) return true;
      const position = this.#position.get(batch.topic);
      const fresh =
        position === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= position);
      const [first] = fresh;
      if (first !== undefined) {
        if (!this.#floor.has(batch.topic))
          this.#floor = new Map([...this.#floor, [batch.topic, BigInt(first.offset)]]);
        const { records, deadLetters } = decodeInput(batch.topic, this.partition, expected, fresh, (r) =>
          this.#processor.refuse?.(r),
        );
        const store = schemaStore();
        for (const { letter } of deadLetters)
          this.#outbox.push({
            topic: this.#settings.deadLetterTopic,
            key: letter.key,
            value: store.encode("DeadLetter", letter),
          });
        if (deadLetters.length > 0) deadLettered.inc({ processor: this.#processor.name }, deadLetters.length);
        await this.#processor.process(this.#ctx, records, {
          topic: batch.topic,
          partition: this.partition,
          firstOffset: BigInt(first.offset),
          lastOffset: batch.lastOffset,
          caughtUp: batch.caughtUp,
          deadLetters,
        });
        recordsProcessed.inc({ processor: this.#processor.name }, records.length);
      }
      const next = batch.lastOffset + 1n;
      if (position === undefined || next > position) this.#position.set(batch.topic, next);
      return true;
    });
  }

  /**
   * A fetched batch held nothing but commit markers or aborted records (kafkajs hands over no messages): if it
   * starts at the position, the position moves past it, so that the committed offset is the partition's end.
   */
  skipEmpty(topic: string, firstOffset: bigint, lastOffset: bigint): Promise<void> {
    return this.#run("process", undefined, async () => {
      if (this.#position.get(topic) === firstOffset && lastOffset >= firstOffset)
        this.#position.set(topic, lastOffset + 1n);
    });
  }

  /** Fires the punctuators due at `now`, then checkpoints if the interval has passed. */
  tick(now: number = this.#settings.clock()): Promise<void> {
    return this.#run(
      "punctuate",
      undefined,
      async () => {
        for (const p of this.#punctuations) {
          if (p.next > now) continue;
          // Missed intervals are skipped, not caught up: a timer fires once however late it is.
          while (p.next <= now) p.next += p.punctuator.intervalMs;
          await p.punctuator.punctuate(this.#ctx, now);
        }
      },
      now,
    );
  }

  /** A checkpoint now, whatever the interval, committed when this resolves. Resolves whether anything was written. */
  checkpoint(): Promise<boolean> {
    return this.#run("checkpoint", false, async () => false, undefined, true);
  }

  /** Resolves once the checkpoints taken so far are committed; rejects with the task's failure, if any. */
  async settled(): Promise<void> {
    await this.#committing;
    if (this.#failure) throw this.#failure;
  }

  /**
   * Releases the partition. `clean`: checkpoint first (revoke, shutdown); otherwise drop the memory unwritten
   * (a failure, fencing, a crash). The processor's close runs either way. Rejects if the final checkpoint failed,
   * after closing.
   */
  close(clean: boolean): Promise<void> {
    const wasClosing = this.#closing;
    this.#closing = true;
    return this.#lock(async () => {
      if (this.#status === "closed") return;
      // The processor's close releases what a commit under way may still use (its sinks).
      await this.#committing;
      let error: unknown;
      if (clean && !wasClosing && this.#status === "open" && !this.#failure) {
        await this.#checkpoint(this.#settings.clock(), true);
        error = this.#failure;
      }
      this.#status = "closed";
      if (this.#initialised)
        try {
          await this.#processor.close?.(this.#ctx);
        } catch (err) {
          this.#settings.logger.warn({ err }, "processor close failed");
        }
      if (error !== undefined) throw error;
    });
  }

  /**
   * Runs `work` under the lock if the task is open; a failure fails the task. Afterwards a checkpoint if one is
   * due (or `force`, which also waits for its commit).
   */
  #run<T>(stage: TaskStage, skipped: T, work: () => Promise<T>, now?: number, force = false): Promise<T> {
    return this.#lock(async () => {
      if (this.#failure) throw this.#failure;
      if (this.#status !== "open" || this.#closing) return skipped;
      let result: T;
      try {
        result = await work();
      } catch (err) {
        this.#fail(stage, err);
      }
      const at = now ?? this.#settings.clock();
      const due = this.#checkpointAsked || at - this.#lastCheckpoint >= this.#settings.checkpointMs;
      // While a commit is under way, a due checkpoint is deferred rather than waited for under the lock: batches go
      // on, and the first batch or tick after the commit takes everything since (a slow sink makes larger commits,
      // not a stalled partition).
      if (force || (due && !this.#inFlight)) {
        await this.#committing;
        if (this.#failure) throw this.#failure;
        const committed = this.#checkpoint(at);
        if (force) {
          const wrote = await committed;
          if (this.#failure) throw this.#failure;
          result = wrote as T;
        }
      }
      return result;
    });
  }

  #fail(stage: TaskStage, err: unknown): never {
    throw this.#failed(stage, err);
  }

  /** Records the task's first failure and tells the runtime; returns it. */
  #failed(stage: TaskStage, err: unknown): TaskError {
    const error = err instanceof TaskError ? err : new TaskError(this.partition, stage, err);
    if (!this.#failure) {
      this.#failure = error;
      this.#status = "failed";
      this.#settings.onFailure?.(error);
    }
    return error;
  }

  /**
   * Takes a checkpoint: dirty state, queued records, input offsets and the processor's sink writes, copied out of
   * memory now, then committed as one transaction. The commit runs off the lock; the result resolves when it is
   * done, with whether anything was written (false also when it failed, which fails the task).
   */
  #checkpoint(now: number, final = false): Promise<boolean> {
    const name = this.#processor.name;
    const end = checkpointSeconds.startTimer({ processor: name });
    const codec = this.#processor.state;
    const records: OutRecord[] = [];
    if (codec && this.#memory)
      for (const [key, value] of this.#memory.take(now, this.#settings.lazyWriteMs, final))
        records.push({
          topic: this.#settings.changelog,
          key,
          value: value === undefined ? null : codec.encode(value),
          partition: this.partition,
        });
    const changed = records.length;
    records.push(...this.#outbox);
    this.#outbox = [];
    const offsets: { topic: string; offset: bigint }[] = [];
    const pinned = this.#memory?.pinned();
    const floor = new Map(this.#floor);
    for (const topic of Object.keys(this.#processor.topics)) {
      const position = this.#position.get(topic);
      if (position === undefined) continue;
      let offset = position;
      const held = this.#processor.held?.(this.#ctx, topic);
      if (held !== undefined && held < offset) offset = held;
      const pin = pinned?.get(topic);
      if (pin !== undefined && pin < offset) offset = pin;
      floor.set(topic, offset);
      if (this.#committed.get(topic) !== offset) offsets.push({ topic, offset });
    }
    this.#floor = floor;
    const write = this.#processor.flush?.(this.#ctx, final);
    this.#checkpointAsked = false;
    this.#lastCheckpoint = now;
    const commit = async (): Promise<boolean> => {
      if (records.length === 0 && offsets.length === 0) {
        await write?.();
        return false;
      }
      await this.#settings.sink.commit({ partition: this.partition, records, offsets }, write);
      for (const { topic, offset } of offsets) this.#committed.set(topic, offset);
      checkpoints.inc({ processor: name });
      if (changed > 0) changelogWrites.inc({ processor: name }, changed);
      end();
      return true;
    };
    this.#inFlight = true;
    const done = commit()
      .catch((err: unknown) => {
        this.#failed("checkpoint", err);
        return false;
      })
      .finally(() => {
        this.#inFlight = false;
      });
    this.#committing = done.then(() => undefined);
    return done;
  }
}
