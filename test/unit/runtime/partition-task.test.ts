// The processor runtime's per-partition logic, through the test driver (the same PartitionTask the Kafka runtime
// runs): held offsets, dirty state, checkpoint contents, restore, redelivery, punctuation, failures, fencing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TOPICS } from "../../../ground/topics.ts";
import type { Processor } from "../../../pipelines/runtime/processor.ts";
import { TaskError } from "../../../pipelines/runtime/task-error.ts";
import { TestDriver } from "../../../pipelines/runtime/test-driver.ts";
import { type Count, countingProcessor, heartbeat } from "../../support/counting-processor.ts";

const topic = "hb";
const key = (r: { device_id: string }) => r.device_id;

function setup(options: { partitions?: number; checkpointMs?: number; batchSize?: number } = {}) {
  const processor = countingProcessor({ name: "count", topic, output: "out" });
  const driver = new TestDriver(processor, options);
  const pipe = (partition: number, ...beats: [string, string?][]) =>
    driver.pipeRecords(
      topic,
      partition,
      "Heartbeat",
      beats.map(([device, firmware]) => heartbeat(device, firmware ?? null)),
      key,
    );
  return { processor, driver, pipe };
}

const counts = (entries: Iterable<[string, Count]>) =>
  Object.fromEntries([...entries].map(([k, v]) => [k, v.count]));

test("runtime: the committed offset never passes what the processor holds", async () => {
  const { processor, driver, pipe } = setup();
  await driver.start();
  await pipe(0, ["a"], ["h", "hold"], ["a"], ["b"], ["a"]);
  await driver.checkpoint();
  assert.equal(driver.committed(topic, 0), 1n, "offset 1 is held in memory: reading resumes there");
  assert.deepEqual(counts(driver.store(0)?.entries() ?? []), { a: 3, b: 1 });

  // Held input is not in the changelog; a crash reads it again from offset 1, and what was counted since is
  // recognised by the offset each count keeps.
  await driver.crash(0);
  assert.deepEqual(processor.seen.get(0)?.slice(-4), [1n, 2n, 3n, 4n]);
  await driver.checkpoint();
  assert.equal(driver.committed(topic, 0), 1n);

  assert.equal(await processor.release(0), true);
  await driver.checkpoint();
  assert.equal(driver.committed(topic, 0), 5n, "nothing held: up to the last record processed");
  assert.deepEqual(counts(driver.store(0)?.entries() ?? []), { a: 3, b: 1, h: 1 });
});

test("runtime: a checkpoint writes only the keys changed since the last one, and deletes as tombstones", async () => {
  const { driver, pipe } = setup();
  await driver.start();
  await pipe(0, ["a"], ["b"], ["a"]);
  await driver.checkpoint();
  assert.deepEqual(
    driver.changelog(0).map((e) => [e.key, e.value?.count]),
    [
      ["a", 2],
      ["b", 1],
    ],
    "one entry per key, its value at the checkpoint",
  );
  await pipe(0, ["b"], ["c"]);
  await driver.checkpoint();
  assert.deepEqual(
    driver
      .changelog(0)
      .slice(2)
      .map((e) => [e.key, e.value?.count]),
    [
      ["b", 2],
      ["c", 1],
    ],
  );
  await pipe(0, ["a", "delete"]);
  await driver.checkpoint();
  assert.deepEqual(driver.changelog(0).slice(4), [{ key: "a", value: null }]);
  const before = driver.transactions;
  await driver.checkpoint();
  assert.equal(driver.transactions, before, "nothing changed: no transaction");
});

test("runtime: nothing is written between checkpoints, then everything at once", async () => {
  const { driver, pipe } = setup({ checkpointMs: 1000 });
  await driver.start();
  await pipe(0, ["a", "send"], ["b"]);
  await driver.pipe(topic, 0, [{ key: "junk", value: Buffer.from("not avro") }]);
  await driver.advance(999);
  assert.deepEqual(driver.changelog(0), []);
  assert.equal(driver.committed(topic, 0), undefined);
  assert.deepEqual(driver.sent(), []);
  assert.equal(driver.transactions, 0);

  await driver.advance(1);
  assert.equal(driver.transactions, 1, "one transaction");
  assert.equal(driver.changelog(0).length, 2);
  assert.equal(driver.committed(topic, 0), 3n);
  assert.deepEqual(
    driver.sent("out").map((r) => [r.key, r.value?.toString()]),
    [["a", "sent 0"]],
  );
  assert.deepEqual(
    driver.deadLetters().map((d) => [d.key, d.reason, d.original_topic]),
    [["junk", "bad_marker", topic]],
  );
  await driver.advance(5000);
  assert.equal(driver.transactions, 1, "no change, no transaction");
});

test("runtime: a restore gives back the checkpointed store", async () => {
  const { processor, driver, pipe } = setup({ partitions: 2 });
  await driver.start();
  await pipe(0, ["a"], ["a"], ["b"]);
  await pipe(1, ["z"]);
  await driver.checkpoint();
  const checkpointed = counts(driver.store(0)?.entries() ?? []);
  await driver.revoke(0);
  await driver.assign(0);
  assert.deepEqual(counts(processor.restored.get(0) ?? []), checkpointed);
  assert.deepEqual(counts(processor.restored.get(1) ?? []), {}, "partition 1 was opened before anything");
  await pipe(0, ["b", "delete"]);
  await driver.checkpoint();
  await driver.crash();
  assert.deepEqual(counts(processor.restored.get(0) ?? []), { a: 2 }, "the tombstone removed b");
  assert.deepEqual(counts(processor.restored.get(1) ?? []), { z: 1 });
});

test("runtime: after a crash, the records after the committed offset are delivered again", async () => {
  const { processor, driver, pipe } = setup();
  await driver.start();
  await pipe(0, ["a"], ["a"], ["a"]);
  await driver.checkpoint();
  await pipe(0, ["a"], ["b"]);
  assert.deepEqual(counts(driver.store(0)?.entries() ?? []), { a: 4, b: 1 });
  await driver.crash(0);
  assert.deepEqual(processor.seen.get(0), [0n, 1n, 2n, 3n, 4n, 3n, 4n], "3 and 4 again, not 0..2");
  assert.deepEqual(counts(processor.restored.get(0) ?? []), { a: 3 }, "the store as checkpointed");
  assert.deepEqual(counts(driver.store(0)?.entries() ?? []), { a: 4, b: 1 }, "and the same result");
});

test("runtime: a revoked partition checkpoints before it closes", async () => {
  const { driver, pipe } = setup();
  await driver.start();
  await pipe(0, ["a"], ["b"]);
  await driver.revoke(0);
  assert.equal(driver.committed(topic, 0), 2n);
  assert.equal(driver.changelog(0).length, 2);
  assert.equal(driver.task(0), undefined);
});

test("runtime: punctuators fire on time, per partition, under the partition's lock", async () => {
  const events: string[] = [];
  let gate: () => void = () => {};
  const blocked = new Promise<void>((resolve) => {
    gate = resolve;
  });
  const processor = countingProcessor({
    name: "count",
    topic,
    beforeCount: async (r) => {
      if (r.record.firmware !== "slow") return;
      events.push("process starts");
      await blocked;
      events.push("process ends");
    },
    punctuators: [
      { intervalMs: 1000, punctuate: (ctx, now) => void events.push(`tick ${ctx.partition} ${now}`) },
    ],
  });
  const driver = new TestDriver(processor, { partitions: 2, startTime: 10_000, checkpointMs: 60_000 });
  await driver.start();
  await driver.advance(3500);
  assert.deepEqual(events, [
    "tick 0 11000",
    "tick 1 11000",
    "tick 0 12000",
    "tick 1 12000",
    "tick 0 13000",
    "tick 1 13000",
  ]);
  events.length = 0;

  const piped = driver.pipeRecords(topic, 0, "Heartbeat", [heartbeat("a", "slow")], key);
  await new Promise((resolve) => setImmediate(resolve));
  const advanced = driver.advance(1000);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(events, ["process starts"], "the timer waits for the batch holding the lock");
  gate();
  await Promise.all([piped, advanced]);
  assert.deepEqual(events, ["process starts", "process ends", "tick 0 14000", "tick 1 14000"]);
});

test("runtime: a processor error fails the task; taken over again, it reads from the last checkpoint", async () => {
  const { processor, driver, pipe } = setup();
  await driver.start();
  await pipe(0, ["a"], ["a"]);
  await driver.checkpoint();
  await assert.rejects(pipe(0, ["a"], ["b", "boom"], ["c"]), (err: unknown) => {
    assert.ok(err instanceof TaskError);
    assert.equal(err.stage, "process");
    assert.equal(err.fenced, false);
    return true;
  });
  assert.equal(driver.task(0), undefined, "the failed task is gone with its memory");
  assert.equal(driver.failures.length, 1);
  assert.equal(driver.committed(topic, 0), 2n, "nothing of the failed batch committed");
  assert.equal(driver.transactions, 1);

  await assert.rejects(driver.assign(0), /boom/, "the same record fails again");
  assert.deepEqual(counts(processor.restored.get(0) ?? []), { a: 2 });
});

test("runtime: a fenced partition's checkpoint is refused before its sinks are flushed, its memory dropped", async () => {
  const { processor, driver, pipe } = setup();
  await driver.start();
  await pipe(0, ["a"]);
  await driver.checkpoint(0);
  assert.equal(processor.flushes.get(0), 1, "each checkpoint flushes the processor's sinks");
  await pipe(0, ["a"]);
  driver.fence(0);
  await assert.rejects(driver.checkpoint(0), (err: unknown) => {
    assert.ok(err instanceof TaskError);
    assert.equal(err.stage, "checkpoint");
    assert.equal(err.fenced, true);
    return true;
  });
  assert.equal(processor.flushes.get(0), 1, "the fenced owner's buffered sink writes are not flushed");
  assert.equal(driver.task(0), undefined);
  assert.deepEqual(
    driver.changelog(0).map((e) => e.value?.count),
    [1],
  );
  assert.equal(driver.committed(topic, 0), 1n);
});

test("runtime: a failed checkpoint fails the task with stage checkpoint", async () => {
  const { driver, pipe } = setup();
  await driver.start();
  await pipe(0, ["a"]);
  driver.failNextCommit(new Error("broker gone"));
  await assert.rejects(
    driver.checkpoint(0),
    (err: unknown) => err instanceof TaskError && err.stage === "checkpoint",
  );
  assert.equal(driver.task(0), undefined);
});

test("runtime: a processor without a state codec cannot keep state", async () => {
  const stateless: Processor<"Heartbeat"> = {
    name: "stateless",
    topics: { [topic]: "Heartbeat" },
    process: (ctx, records) => {
      for (const r of records) ctx.store.put(r.record.device_id, undefined as never);
    },
  };
  const driver = new TestDriver(stateless);
  await driver.start();
  await assert.rejects(driver.pipeRecords(topic, 0, "Heartbeat", [heartbeat("a")], key), /no state codec/);
});

test("runtime: refused records are dead-lettered and the batch goes on", async () => {
  const processor: Processor<"Heartbeat"> = {
    name: "refusing",
    topics: { [topic]: "Heartbeat" },
    refuse: (r) => (r.record.device_id === "" ? "device_id is empty" : undefined),
    process: () => {},
  };
  const driver = new TestDriver(processor);
  await driver.start();
  await driver.pipeRecords(topic, 0, "Heartbeat", [heartbeat(""), heartbeat("ok")], key);
  await driver.pipe(topic, 0, [{ key: "x", value: Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]) }]);
  await driver.checkpoint();
  assert.deepEqual(
    driver.deadLetters().map((d) => [d.key, d.reason]),
    [
      ["", "invalid_record"],
      ["x", "unknown_fingerprint"],
    ],
  );
  assert.equal(driver.sent(TOPICS.deadLetter).length, 2);
  assert.equal(driver.committed(topic, 0), 3n);
});
