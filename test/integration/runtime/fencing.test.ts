// The processor runtime against the real Kafka: a partition's transactional id fences a previous owner (its
// changelog writes and offsets are refused once a new owner initialised the id), and a restore reads to the end
// of a changelog that ends in transaction markers. Topics, group and processor name are this run's own.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createKafka, type Producer } from "../../../ground/kafka.ts";
import { createLogger } from "../../../ground/logger.ts";
import { changelogTopic, createTopicsReady, ensureTopics } from "../../../ground/topics.ts";
import { isFenced } from "../../../pipelines/runtime/fenced.ts";
import { KafkaTransactions, transactionalId } from "../../../pipelines/runtime/kafka-transactions.ts";
import { readTopic } from "../../../pipelines/runtime/read-topic.ts";
import { readChangelog } from "../../../pipelines/runtime/restore.ts";
import { type RunningRuntime, startRuntime } from "../../../pipelines/runtime/runtime.ts";
import type { TaskError } from "../../../pipelines/runtime/task-error.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { type Count, countCodec, countingProcessor, heartbeat } from "../../support/counting-processor.ts";
import { committedOffset, deleteGroup, eventually } from "../../support/processors.ts";
import { config, unique } from "../../support/stack.ts";

const logger = createLogger("test", "silent");
const run = unique("fencing");
const input = `${run}.input`;
const kafka = createKafka(config, "test-fencing");
const store = schemaStore();
const groups: string[] = [];
const topics: string[] = [input];
let producer: Producer;

before(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsReady(admin, [{ topic: input, numPartitions: 1 }]);
  await admin.disconnect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});

after(async () => {
  await producer.disconnect();
  for (const g of groups) await deleteGroup(g);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
});

const send = (device: string, ...firmware: (string | null)[]) =>
  producer.send({
    topic: input,
    acks: -1,
    messages: firmware.map((f) => ({ key: device, value: store.encode("Heartbeat", heartbeat(device, f)) })),
  });

/** Resolves with `work`, or fails after `ms` (what a restore that misses the end would do). */
const within = <T>(ms: number, what: string, work: Promise<T>) =>
  Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no end after ${ms} ms`)), ms),
    ),
  ]);

/** Every committed changelog record of partition 0, decoded, in order. */
async function changelogRecords(
  topic: string,
): Promise<{ offset: bigint; key: string; value: Count | null }[]> {
  const out: { offset: bigint; key: string; value: Count | null }[] = [];
  await within(
    10_000,
    "reading the changelog",
    readTopic(kafka, topic, {
      partitions: [0],
      onBatch: (_p, messages) => {
        for (const m of messages)
          out.push({
            offset: BigInt(m.offset),
            key: m.key?.toString() ?? "",
            value: m.value === null ? null : countCodec.decode(m.value),
          });
      },
    }),
  );
  return out;
}

/** A processor name of this run, its changelog (created) and its group (both removed after the tests). */
async function processorOfRun(suffix: string): Promise<{ name: string; changelog: string; groupId: string }> {
  const name = `${run}-${suffix}`;
  const changelog = changelogTopic(name);
  const groupId = `${run}-${suffix}-group`;
  groups.push(groupId);
  topics.push(changelog);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config, [changelog]);
  await admin.disconnect();
  return { name, changelog, groupId };
}

test("a new owner's InitProducerId fences the old one mid-transaction; restore reads past the markers", async () => {
  const { name, changelog, groupId } = await processorOfRun("direct");

  const id = transactionalId(groupId, name, 0);
  const producers = [0, 1, 2].map(() =>
    kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 }),
  );
  const [oldProducer, newProducer, newerProducer] = producers as [Producer, Producer, Producer];
  for (const p of producers) await p.connect();
  try {
    const old = new KafkaTransactions(oldProducer, groupId, 0);
    await old.fence();
    const state = (count: number, by: string) => countCodec.encode({ count, offset: String(count - 1), by });
    await old.commit({
      partition: 0,
      records: [{ topic: changelog, key: "d", value: state(1, "old"), partition: 0 }],
      offsets: [{ topic: input, offset: 1n }],
    });

    // The old owner is in the middle of its next checkpoint when the new one takes the partition over.
    const txn = await oldProducer.transaction();
    await txn.send({
      topic: changelog,
      acks: -1,
      messages: [{ key: "d", value: state(2, "old"), partition: 0 }],
    });
    const current = new KafkaTransactions(newProducer, groupId, 0);
    await current.fence();
    await assert.rejects(
      txn.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic: input, partitions: [{ partition: 0, offset: "2" }] }],
      }),
      (err: unknown) => isFenced(err),
    );
    await assert.rejects(txn.commit());

    // The new owner checkpoints; then it is fenced in turn, and its sink says so.
    await current.commit({
      partition: 0,
      records: [{ topic: changelog, key: "d", value: state(2, "new"), partition: 0 }],
      offsets: [{ topic: input, offset: 2n }],
    });
    await new KafkaTransactions(newerProducer, groupId, 0).fence();
    await assert.rejects(
      current.commit({
        partition: 0,
        records: [{ topic: changelog, key: "d", value: state(3, "new"), partition: 0 }],
        offsets: [{ topic: input, offset: 3n }],
      }),
      { name: "FencedError" },
    );

    // The log: a committed record and its marker, the aborted record and its marker, a committed record and its
    // marker. The last record a reader is handed is two offsets before the end.
    const admin2 = kafka.admin();
    await admin2.connect();
    const [end] = await admin2.fetchTopicOffsets(changelog).then((o) => o.filter((x) => x.partition === 0));
    await admin2.disconnect();
    const records = await changelogRecords(changelog);
    assert.deepEqual(
      records.map((r) => [r.key, r.value?.count, r.value?.by]),
      [
        ["d", 1, "old"],
        ["d", 2, "new"],
      ],
      "the fenced owner's record was aborted",
    );
    assert.ok(
      BigInt(end?.high ?? "0") - 1n > (records.at(-1)?.offset ?? -1n),
      `the log ends in a marker after the last record (high ${end?.high})`,
    );
    const restored = await within(10_000, "restore", readChangelog(kafka, changelog, 0));
    assert.deepEqual(
      [...restored].map(([k, v]) => [k, countCodec.decode(v).by, countCodec.decode(v).count]),
      [["d", "new", 2]],
    );
    assert.equal(await committedOffset(groupId, input, 0), 2n, "the fenced offsets were never committed");
  } finally {
    for (const p of producers) await p.disconnect();
  }
});

test("a paused instance that lost its partition cannot commit its state or offsets after the new owner took over", async () => {
  const name = `${run}-zombie`;
  const changelog = changelogTopic(name);
  const groupId = `${run}-zombie-group`;
  groups.push(groupId);
  topics.push(changelog);
  const consumer = { sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 };
  let resume: () => void = () => {};
  const paused = new Promise<void>((resolve) => {
    resume = resolve;
  });
  let reached: () => void = () => {};
  const pausing = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const a = countingProcessor({
    name,
    topic: input,
    instance: "a",
    // Blocks under the partition's lock with counts in memory: no heartbeat until the session times out.
    beforeCount: async (r) => {
      if (r.record.firmware !== "pause-a") return;
      reached();
      await paused;
    },
  });
  const b = countingProcessor({ name, topic: input, instance: "b" });
  const options = { groupId, checkpointMs: 200, consumer };
  let first: RunningRuntime | undefined;
  let second: RunningRuntime | undefined;
  try {
    first = await startRuntime(config, logger, a, options);
    const zombie = first;
    await eventually("the first instance owns partition 0", async () =>
      zombie.partitions().includes(0) ? true : undefined,
    );
    await send("d", null, null);
    await eventually("two records checkpointed", async () =>
      (await committedOffset(groupId, input, 0)) === 2n ? true : undefined,
    );

    second = await startRuntime(config, logger, b, options);
    const owner = second;
    await eventually("both instances in the group", async () => {
      const admin = kafka.admin();
      await admin.connect();
      const { groups: described } = await admin.describeGroups([groupId]);
      await admin.disconnect();
      const group = described[0];
      return group?.state === "Stable" && group.members.length === 2 ? true : undefined;
    });
    assert.deepEqual(owner.partitions(), [], "sticky: the first instance keeps the partition");

    await send("d", null, null, "pause-a");
    await pausing;
    await eventually(
      "the second instance took the partition over and checkpointed the records again",
      async () =>
        owner.partitions().includes(0) && (await committedOffset(groupId, input, 0)) === 5n
          ? true
          : undefined,
      30_000,
    );
    assert.deepEqual(
      b.restored.get(0)?.get("d")?.count,
      2,
      "restored to the end of a transactional changelog",
    );

    const fenced = assert.rejects(zombie.failed, (err: unknown) => {
      assert.equal((err as TaskError).fenced, true);
      assert.equal((err as TaskError).stage, "checkpoint");
      return true;
    });
    resume();
    await within(15_000, "the zombie's failure", fenced);

    const records = await changelogRecords(changelog);
    const last = records.filter((r) => r.key === "d").at(-1);
    assert.deepEqual([last?.value?.count, last?.value?.by], [5, "b"], "the new owner's state stands");
    const takeover = records.findIndex((r) => r.value?.by === "b");
    assert.ok(takeover > 0);
    assert.deepEqual(
      records.slice(takeover).filter((r) => r.value?.by !== "b"),
      [],
      "nothing of the zombie's after the takeover",
    );
    assert.equal(await committedOffset(groupId, input, 0), 5n, "the zombie's offsets were refused");

    await send("d", null);
    await eventually("the new owner goes on", async () =>
      (await committedOffset(groupId, input, 0)) === 6n ? true : undefined,
    );
  } finally {
    resume();
    await Promise.allSettled([first?.stop(), second?.stop()]);
  }
});

test("checkpoints back to back wait for the broker to finish the previous transaction instead of failing", async () => {
  const { name, changelog, groupId } = await processorOfRun("rapid");
  const producer = kafka.producer({
    transactionalId: transactionalId(groupId, name, 0),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const sink = new KafkaTransactions(producer, groupId, 0);
    await sink.fence();
    // Without waiting, about one in four of these meets CONCURRENT_TRANSACTIONS (measured on the local stack).
    for (let i = 1; i <= 100; i++) {
      await sink.commit({
        partition: 0,
        records: [
          {
            topic: changelog,
            key: "d",
            value: countCodec.encode({ count: i, offset: String(i - 1), by: "rapid" }),
            partition: 0,
          },
        ],
        offsets: [{ topic: input, offset: BigInt(i) }],
      });
    }
    assert.equal(await committedOffset(groupId, input, 0), 100n);
    const records = await changelogRecords(changelog);
    assert.equal(records.length, 100);
    assert.equal(records.at(-1)?.value?.count, 100);
  } finally {
    await producer.disconnect();
  }
});
