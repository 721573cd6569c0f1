// A checkpoint is taken under the partition's lock and committed off it: batches go on while its transaction runs,
// the transaction holds exactly what the checkpoint took, one falling due meanwhile is deferred (never waited for
// under the lock) and taken after the commit, and a failed commit fails the task so that the next batch is refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../../ground/logger.ts";
import type { Checkpoint, TransactionSink } from "../../../pipelines/runtime/checkpoint.ts";
import { PartitionTask } from "../../../pipelines/runtime/partition-task.ts";
import { TaskError } from "../../../pipelines/runtime/task-error.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { countCodec, countingProcessor, heartbeat } from "../../support/counting-processor.ts";

const topic = "hb";

/** A sink whose commits wait until the test lets each one go. */
class GatedSink implements TransactionSink {
  readonly taken: Checkpoint[] = [];
  readonly #gates: { release: () => void; fail: (err: Error) => void }[] = [];

  commit(checkpoint: Checkpoint, flush?: () => Promise<void>): Promise<void> {
    this.taken.push(checkpoint);
    return new Promise<void>((resolve, reject) => {
      this.#gates.push({
        release: () => {
          (flush?.() ?? Promise.resolve()).then(resolve, reject);
        },
        fail: reject,
      });
    });
  }

  get waiting(): number {
    return this.#gates.length;
  }

  release(): void {
    this.#gates.shift()?.release();
  }

  fail(err: Error): void {
    this.#gates.shift()?.fail(err);
  }
}

let offset = 0;
const batch = (...devices: string[]) => {
  const store = schemaStore();
  const messages = devices.map((d) => ({
    key: Buffer.from(d),
    value: store.encode("Heartbeat", heartbeat(d)),
    offset: String(offset++),
    timestamp: "0",
  }));
  return { topic, messages, lastOffset: BigInt(offset - 1), caughtUp: true };
};

function setup() {
  offset = 0;
  let now = 0;
  const sink = new GatedSink();
  const processor = countingProcessor({ name: "count", topic, output: "out" });
  const task = new PartitionTask(processor, {
    partition: 0,
    sink,
    changelog: "count-changelog",
    deadLetterTopic: "dead",
    checkpointMs: 1000,
    lazyWriteMs: 0,
    clock: () => now,
    logger: createLogger("test", "silent"),
  });
  return { sink, processor, task, tick: (ms: number) => (now += ms) };
}

const counts = (c: Checkpoint) =>
  Object.fromEntries(
    c.records
      .filter((r) => r.topic === "count-changelog")
      .map((r) => [r.key, countCodec.decode(r.value as Buffer, r.key ?? "").count]),
  );

test("runtime: batches go on while a checkpoint commits, and the transaction holds what the checkpoint took", async () => {
  const { sink, processor, task, tick } = setup();
  await task.open([], new Map());
  await task.handle(batch("a", "b"));
  tick(1000);
  await task.handle(batch("a"));
  assert.equal(sink.waiting, 1, "the interval's checkpoint is committing");
  // Not waiting for the commit: these batches run while it is under way.
  await task.handle(batch("a", "c"));
  await task.handle(batch("b"));
  assert.deepEqual(counts(sink.taken[0] as Checkpoint), { a: 2, b: 1 });
  assert.deepEqual(sink.taken[0]?.offsets, [{ topic, offset: 3n }]);
  assert.equal(
    processor.flushes.get(0),
    undefined,
    "the sinks are written inside the transaction, not before",
  );
  assert.equal(task.committed(topic), undefined);

  // A checkpoint due during the commit is deferred, not waited for: the batch goes on at once.
  tick(1000);
  await task.handle(batch("d"));
  assert.equal(sink.taken.length, 1, "one commit at a time");
  assert.ok(task.nextDue() > 2000, "the timer looks again shortly rather than at once");
  sink.release();
  await task.settled();
  assert.equal(task.committed(topic), 3n);
  assert.equal(processor.flushes.get(0), 1);
  // The first tick after the commit takes everything since.
  await task.tick();
  assert.equal(sink.waiting, 1);
  assert.deepEqual(counts(sink.taken[1] as Checkpoint), { a: 3, b: 2, c: 1, d: 1 });
  sink.release();
  await task.settled();
  assert.equal(task.committed(topic), 7n);
  await task.close(true);
});

test("runtime: a commit that fails off the lock fails the task; the next batch is refused", async () => {
  const { sink, task, tick } = setup();
  await task.open([], new Map());
  tick(1000);
  await task.handle(batch("a"));
  await task.handle(batch("b"));
  sink.fail(new Error("broker gone"));
  await assert.rejects(
    task.settled(),
    (err: unknown) => err instanceof TaskError && err.stage === "checkpoint",
  );
  assert.equal(task.status, "failed");
  await assert.rejects(task.handle(batch("c")), /broker gone/);
  assert.equal(task.committed(topic), undefined, "nothing committed");
  await task.close(false);
});

test("runtime: close waits for the commit under way, then takes the last checkpoint", async () => {
  const { sink, task, tick } = setup();
  await task.open([], new Map());
  tick(1000);
  await task.handle(batch("a"));
  await task.handle(batch("b"));
  const closed = task.close(true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(task.status, "open", "close waits for the commit under way");
  sink.release();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(sink.taken.length, 2, "then the last checkpoint");
  sink.release();
  await closed;
  assert.equal(task.status, "closed");
  assert.equal(task.committed(topic), 2n);
});
