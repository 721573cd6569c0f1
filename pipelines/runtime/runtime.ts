// Runs a Processor on Kafka: one consumer group (instances with the same group id share the partitions), every
// assigned partition consumed concurrently, each as a PartitionTask with its own lock, store, timers and
// transactional producer.
//
// Taking over a partition: initialise its transactional id first (this fences the previous owner and completes a
// transaction it left open), then read its changelog partition to the end, then fetch the group's committed
// offsets and seek there. State and offsets come from the same committed checkpoints, so they agree.
// Giving it up (a new assignment without it, or shutdown): checkpoint what can be, close, forget.
// A checkpoint refused because another instance took the partition over while this one still believed it owned it
// (a paused "zombie"), any other checkpoint failure, and a consumer crash kafkajs does not restart all reject
// `failed`: the process must exit, its uncommitted work is done again by the partitions' next owners. A
// processor's own error drops that partition's memory and reads it again from its last checkpoint.
import type { Config } from "../../ground/config.ts";
import {
  type Admin,
  type Consumer,
  type ConsumerConfig,
  createKafka,
  type EachBatchPayload,
  type Kafka,
  type Producer,
} from "../../ground/kafka.ts";
import type { Logger } from "../../ground/logger.ts";
import { changelogTopic, ensureTopics, TOPICS } from "../../ground/topics.ts";
import type { RecordName } from "../../schemas/generated/types.ts";
import { coPartitionedAssigner } from "./assigner.ts";
import { KafkaTransactions, transactionalId } from "./kafka-transactions.ts";
import { PartitionTask } from "./partition-task.ts";
import type { Processor } from "./processor.ts";
import { readChangelog } from "./restore.ts";
import { partitionsLost, partitionsOwned, restoreSeconds } from "./runtime-metrics.ts";
import type { TaskError } from "./task-error.ts";

export interface RuntimeOptions {
  groupId: string;
  /** How often each partition checkpoints; default config.runtime.checkpointMs (WATTLINE_CHECKPOINT_MS). */
  checkpointMs?: number;
  /** How old a lazily put change gets before a checkpoint writes it; default config.runtime.stateWriteMs. */
  lazyWriteMs?: number;
  /** Default `${config.kafka.clientId}-${processor.name}`. */
  clientId?: string;
  /** Fetch sizes and waits (a debounce), session and heartbeat timing. */
  consumer?: Partial<
    Pick<
      ConsumerConfig,
      | "minBytes"
      | "maxBytes"
      | "maxBytesPerPartition"
      | "maxWaitTimeInMs"
      | "sessionTimeout"
      | "heartbeatInterval"
      | "rebalanceTimeout"
    >
  >;
}

export interface RunningRuntime {
  /** Rejects when this instance must not go on (see above): the process should exit non-zero. */
  failed: Promise<never>;
  /** Checkpoints and closes every partition, then leaves the group. */
  stop(): Promise<void>;
  /** Partitions with an open task now. */
  partitions(): number[];
}

/** A processor's partition as this instance holds it: opening, then open. */
interface Slot<N extends RecordName, S> {
  /** The open task, or undefined when opening was abandoned. */
  ready: Promise<PartitionTask<N, S> | undefined>;
  task?: PartitionTask<N, S>;
  producer?: Producer;
  timer?: NodeJS.Timeout;
  released: boolean;
}

const RETRY_OPEN_MS = 1000;
const HEARTBEAT_WHILE_WAITING_MS = 1000;

/** Waits for `work`, calling kafkajs's heartbeat (which sends one when due) while it runs. */
async function beating<T>(work: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<"tick">((resolve) => {
      timer = setTimeout(() => resolve("tick"), HEARTBEAT_WHILE_WAITING_MS);
    });
    const done = await Promise.race([work.then((value) => ({ value })), tick]);
    clearTimeout(timer);
    if (done !== "tick") return done.value;
    await heartbeat();
  }
}

class Runtime<N extends RecordName, S> implements RunningRuntime {
  readonly failed: Promise<never>;
  readonly #config: Config;
  readonly #logger: Logger;
  readonly #processor: Processor<N, S>;
  readonly #options: RuntimeOptions;
  readonly #topics: string[];
  readonly #changelog: string;
  readonly #checkpointMs: number;
  readonly #kafka: Kafka;
  readonly #slots = new Map<number, Slot<N, S>>();
  /** Partitions being released: a new task for one waits until the old one is closed. */
  readonly #releasing = new Map<number, Promise<void>>();
  #admin: Admin | undefined;
  #consumer: Consumer | undefined;
  /** The partitions of the last assignment. */
  #assigned = new Set<number>();
  /** Between kafkajs noticing a rebalance and the new assignment: a fenced checkpoint then means a lost partition. */
  #rebalancing = false;
  #stopping = false;
  #dead = false;
  #fail: (err: unknown) => void = () => {};

  constructor(config: Config, logger: Logger, processor: Processor<N, S>, options: RuntimeOptions) {
    this.#config = config;
    this.#logger = logger.child({ processor: processor.name });
    this.#processor = processor;
    this.#options = options;
    this.#topics = Object.keys(processor.topics);
    this.#changelog = changelogTopic(processor.name);
    this.#checkpointMs = options.checkpointMs ?? config.runtime.checkpointMs;
    this.#kafka = createKafka(config, options.clientId ?? `${config.kafka.clientId}-${processor.name}`);
    this.failed = new Promise<never>((_, reject) => {
      this.#fail = reject;
    });
    this.failed.catch(() => {});
  }

  partitions(): number[] {
    return [...this.#slots]
      .filter(([, s]) => s.task?.status === "open")
      .map(([p]) => p)
      .sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    const admin = this.#kafka.admin();
    this.#admin = admin;
    await admin.connect();
    await ensureTopics(admin, this.#config, this.#processor.state ? [this.#changelog] : []);
    const consumer = this.#kafka.consumer({
      groupId: this.#options.groupId,
      partitionAssigners: [coPartitionedAssigner(() => [...this.#slots.keys()])],
      sessionTimeout: this.#config.runtime.sessionTimeoutMs,
      // kafkajs's default of 3 s suits its default session of 30 s; a shorter session needs a third of it at most.
      heartbeatInterval: Math.min(3000, Math.floor(this.#config.runtime.sessionTimeoutMs / 3)),
      ...this.#options.consumer,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.#assign(payload.memberAssignment));
    consumer.on(consumer.events.REBALANCING, () => this.#onRebalancing());
    consumer.on(consumer.events.CRASH, ({ payload }) => this.#onCrash(payload.error, payload.restart));
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      // A batch of only commit markers or aborted records: no eachBatch, but the position may move past it.
      if (payload.batchSize !== 0) return;
      const task = this.#slots.get(payload.partition)?.task;
      task
        ?.skipEmpty(payload.topic, BigInt(payload.firstOffset ?? "-1"), BigInt(payload.lastOffset))
        .catch(() => {});
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.#topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#config.kafka.partitions,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    this.#logger.info(
      { groupId: this.#options.groupId, topics: this.#topics, checkpointMs: this.#checkpointMs },
      "processor consuming",
    );
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    try {
      // No more fetches; batches in progress finish under their partitions' locks before the final checkpoints.
      this.#consumer?.pause(this.#topics.map((topic) => ({ topic })));
    } catch {}
    await Promise.all([...this.#slots.keys()].map((p) => this.#release(p, true, "shutdown")));
    await this.#consumer?.disconnect();
    await this.#admin?.disconnect();
    partitionsOwned.set({ processor: this.#processor.name }, 0);
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // isStale: a seek of this partition is pending (a task just took it over and repositioned the consumer).
    if (!isRunning() || isStale() || this.#stopping || this.#dead || !this.#assigned.has(batch.partition))
      return;
    // Taking a partition over may take longer than a session timeout (a big changelog): heartbeat meanwhile.
    const task = await beating(
      this.#slot(batch.partition).ready.catch(() => undefined),
      heartbeat,
    );
    if (!task || !isRunning() || isStale()) return;
    // A failure rejects here (after the task told #taskFailed): kafkajs backs off and fetches the batch again.
    const taken = await task.handle({
      topic: batch.topic,
      messages: batch.messages,
      lastOffset: BigInt(batch.lastOffset()),
      caughtUp: batch.offsetLag() === "0",
    });
    if (!taken) return;
    resolveOffset(batch.lastOffset());
    await heartbeat();
  }

  #assign(assignment: Record<string, number[]>): void {
    const partitions = new Set(this.#topics.flatMap((t) => assignment[t] ?? []));
    this.#assigned = partitions;
    this.#rebalancing = false;
    for (const p of [...this.#slots.keys()]) if (!partitions.has(p)) void this.#release(p, true, "revoked");
    for (const p of partitions) {
      const task = this.#slots.get(p)?.task;
      // Kept: kafkajs would go back to the committed offsets; the task is further.
      if (task) this.#seek(p, task);
      else this.#slot(p);
    }
    partitionsOwned.set({ processor: this.#processor.name }, partitions.size);
    this.#logger.info({ partitions: [...partitions].sort((a, b) => a - b) }, "partitions assigned");
  }

  #onRebalancing(): void {
    this.#rebalancing = true;
    // What is done so far is committed before the partitions may move (a failure reaches #taskFailed).
    for (const slot of this.#slots.values()) slot.task?.checkpoint().catch(() => {});
  }

  #onCrash(error: Error, restart: boolean): void {
    this.#logger.error({ err: error, restart }, "consumer crashed");
    if (!restart) {
      this.#fatal(error, "the consumer crashed and kafkajs does not restart it");
      return;
    }
    // kafkajs left the group and joins again: until then nothing is ours.
    this.#assigned = new Set();
    for (const p of [...this.#slots.keys()]) void this.#release(p, true, "consumer restart");
  }

  /** The partition's slot, opening it if there is none. */
  #slot(p: number): Slot<N, S> {
    const existing = this.#slots.get(p);
    if (existing) return existing;
    // Shutting down or failed: nothing new is taken over.
    if (this.#stopping || this.#dead) return { ready: Promise.resolve(undefined), released: true };
    const slot: Slot<N, S> = { ready: Promise.resolve(undefined), released: false };
    this.#slots.set(p, slot);
    slot.ready = this.#open(p, slot);
    slot.ready.catch((err: unknown) => {
      if (slot.released) return;
      void this.#release(p, false, "could not take it over");
      if (this.#assigned.has(p) && !this.#rebalancing) this.#fatal(err, `taking over partition ${p} failed`);
    });
    return slot;
  }

  async #open(p: number, slot: Slot<N, S>): Promise<PartitionTask<N, S> | undefined> {
    await this.#releasing.get(p);
    if (slot.released) return undefined;
    const name = this.#processor.name;
    const { groupId } = this.#options;
    const end = restoreSeconds.startTimer({ processor: name });
    const producer = this.#kafka.producer({
      transactionalId: transactionalId(groupId, name, p),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    slot.producer = producer;
    await producer.connect();
    const sink = new KafkaTransactions(producer, groupId, p);
    await sink.fence();
    const restored = this.#processor.state ? await readChangelog(this.#kafka, this.#changelog, p) : new Map();
    const committed = await this.#committedOffsets(p);
    if (slot.released) return undefined;
    const task: PartitionTask<N, S> = new PartitionTask(this.#processor, {
      partition: p,
      sink,
      changelog: this.#changelog,
      deadLetterTopic: TOPICS.deadLetter,
      checkpointMs: this.#checkpointMs,
      lazyWriteMs: this.#options.lazyWriteMs ?? this.#config.runtime.stateWriteMs,
      clock: Date.now,
      logger: this.#logger.child({ partition: p }),
      onFailure: (err) => this.#taskFailed(p, task, err),
    });
    slot.task = task;
    await task.open(restored.entries(), committed);
    this.#seek(p, task);
    this.#arm(slot, task);
    end();
    this.#logger.info(
      {
        partition: p,
        keys: restored.size,
        offsets: Object.fromEntries([...committed].map(([t, o]) => [t, String(o)])),
      },
      "partition taken over",
    );
    return task;
  }

  /** The group's committed offsets of partition `p`, per input topic (none: kafkajs starts at the beginning). */
  async #committedOffsets(p: number): Promise<Map<string, bigint>> {
    const admin = this.#admin;
    if (!admin) throw new Error("runtime not started");
    const topics = await admin.fetchOffsets({ groupId: this.#options.groupId, topics: this.#topics });
    const out = new Map<string, bigint>();
    for (const { topic, partitions } of topics) {
      const offset = partitions.find((x) => x.partition === p)?.offset;
      if (offset !== undefined && BigInt(offset) >= 0n) out.set(topic, BigInt(offset));
    }
    return out;
  }

  /** Points the consumer at the task's positions; batches fetched before are stale and skipped. */
  #seek(p: number, task: PartitionTask<N, S>): void {
    for (const topic of this.#topics) {
      const offset = task.position(topic);
      if (offset !== undefined) this.#consumer?.seek({ topic, partition: p, offset: offset.toString() });
    }
  }

  /** Wakes the task when its next punctuation or checkpoint is due. */
  #arm(slot: Slot<N, S>, task: PartitionTask<N, S>): void {
    if (slot.released) return;
    const due = task.nextDue();
    if (!Number.isFinite(due)) return;
    slot.timer = setTimeout(
      () => {
        if (this.#dead) return;
        task.tick().then(
          () => this.#arm(slot, task),
          () => {}, // #taskFailed has it
        );
      },
      Math.max(0, due - Date.now()),
    );
    slot.timer.unref();
  }

  /** Closes and forgets a partition; `clean`: checkpoint first. Its failure then is logged, not fatal. */
  #release(p: number, clean: boolean, why: string): Promise<void> {
    const slot = this.#slots.get(p);
    if (!slot) return Promise.resolve();
    this.#slots.delete(p);
    slot.released = true;
    clearTimeout(slot.timer);
    const done = (async () => {
      const task = await slot.ready.catch(() => undefined);
      await task?.close(clean).catch((err: unknown) => {
        const fenced = (err as TaskError).fenced === true;
        this.#logger.warn(
          { err, partition: p, why },
          fenced
            ? "partition already taken over before its last checkpoint: its new owner reads again from the previous one"
            : "last checkpoint of a released partition failed: its next owner reads again from the previous one",
        );
      });
      await slot.producer?.disconnect().catch(() => {});
      this.#logger.info({ partition: p, why, clean }, "partition released");
    })();
    this.#releasing.set(p, done);
    void done.finally(() => {
      if (this.#releasing.get(p) === done) this.#releasing.delete(p);
    });
    return done;
  }

  #taskFailed(p: number, task: PartitionTask<N, S>, err: TaskError): void {
    if (this.#slots.get(p)?.task !== task) return; // released already: its close reports
    void this.#release(p, false, `${err.stage} failed`);
    if (err.fenced) {
      partitionsLost.inc({ processor: this.#processor.name });
      if (this.#rebalancing || !this.#assigned.has(p)) {
        this.#logger.warn({ partition: p }, "partition taken over by another instance during a rebalance");
        return;
      }
      this.#fatal(
        err,
        "another instance took over a partition this one still worked on (it was paused too long)",
      );
      return;
    }
    if (err.stage === "checkpoint") {
      this.#fatal(err, "a checkpoint failed");
      return;
    }
    this.#logger.error(
      { err, partition: p },
      "processor failed: the partition's memory is dropped and read again from its last checkpoint",
    );
    setTimeout(() => {
      if (!this.#stopping && !this.#dead && this.#assigned.has(p)) this.#slot(p);
    }, RETRY_OPEN_MS).unref();
  }

  #fatal(err: unknown, why: string): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#logger.fatal({ err }, `${why}: this instance must stop`);
    for (const slot of this.#slots.values()) clearTimeout(slot.timer);
    try {
      this.#consumer?.pause(this.#topics.map((topic) => ({ topic })));
    } catch {}
    // Out of the group at once: a dead instance that rejoined (a paused one resuming does) would otherwise keep its
    // partitions, sticky, until its session timed out.
    this.#consumer?.disconnect().catch(() => {});
    this.#fail(err);
  }
}

export async function startRuntime<N extends RecordName, S>(
  config: Config,
  logger: Logger,
  processor: Processor<N, S>,
  options: RuntimeOptions,
): Promise<RunningRuntime> {
  const runtime = new Runtime(config, logger, processor, options);
  await runtime.start();
  return runtime;
}
