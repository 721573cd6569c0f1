// Issue 11: `wattline stack up` with WATTLINE_KAFKA_NODES=3 runs a three-node KRaft cluster. The components' bootstrap
// list names every node; the topics Wattline creates have three replicas and min.insync.replicas 2; acks=all writes go
// on while one node is down, and none is lost; `stack up` brings it back and `stack down` stops every node. And a send
// whose partition has moved to a broker that already answered for another partition still reaches the new leader
// (kafkajs 2.2.4 skipped it and resolved: patches/kafkajs+2.2.4.patch).
// A stack of its own (Kafka only: QuestDB, Postgres and Mosquitto are the shared stack's, left alone).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { stackPaths } from "../../../deploy/stack/paths.ts";
import { isAlive, readPid, stopPid } from "../../../deploy/stack/processes.ts";
import { loadConfig } from "../../../ground/config.ts";
import { type Admin, createKafka, type Kafka } from "../../../ground/kafka.ts";
import { ensureTopics, TOPICS } from "../../../ground/topics.ts";
import { type OwnStack, ownStack } from "../../support/own-stack.ts";
import { config as shared } from "../../support/stack.ts";

let stack: OwnStack | undefined;
after(async () => stack?.down());

test("three Kafka nodes: RF 3, min ISR 2, writes survive one node down, all stop", async () => {
  stack = await ownStack("kafka-cluster", {
    WATTLINE_KAFKA_NODES: "3",
    WATTLINE_QUESTDB_HTTP_URL: shared.questdb.httpUrl,
    WATTLINE_QUESTDB_PG_URL: shared.questdb.pgUrl,
    WATTLINE_POSTGRES_URL: shared.postgres.url,
    WATTLINE_MQTT_URL: shared.mqtt.url,
  });
  const started = Date.now();
  await stack.up();
  process.stdout.write(`# three nodes up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const status = JSON.parse(await stack.wattline(["stack", "status", "--json"])) as {
    service: string;
    state: string;
  }[];
  assert.deepEqual(
    status.filter((s) => s.service.startsWith("kafka")).map((s) => [s.service, s.state]),
    [
      ["kafka-1", "running"],
      ["kafka-2", "running"],
      ["kafka-3", "running"],
    ],
  );

  const config = loadConfig(stack.env);
  const port = Number(stack.env.WATTLINE_KAFKA_PORT);
  assert.deepEqual(
    config.kafka.brokers,
    [0, 2, 4].map((d) => `127.0.0.1:${port + d}`),
  );
  const kafka = createKafka(config, "cluster-test");
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ idempotent: true });
  try {
    await ensureTopics(admin, config);
    const { topics } = await admin.fetchTopicMetadata({ topics: [TOPICS.telemetry] });
    for (const p of topics[0]?.partitions ?? [])
      assert.equal(p.replicas.length, 3, `partition ${p.partitionId}`);
    const [broker] = (
      await admin.describeConfigs({
        resources: [
          { type: 4, name: "1", configNames: ["min.insync.replicas", "default.replication.factor"] },
        ],
        includeSynonyms: false,
      })
    ).resources;
    assert.deepEqual(
      Object.fromEntries(broker?.configEntries.map((e) => [e.configName, e.configValue]) ?? []),
      { "min.insync.replicas": "2", "default.replication.factor": "3" },
    );

    await producer.connect();
    const send = (from: number) =>
      producer.send({
        topic: TOPICS.telemetry,
        acks: -1,
        messages: Array.from({ length: 100 }, (_, i) => ({ key: `d${i % 7}`, value: String(from + i) })),
      });
    await send(0);
    const paths = stackPaths(stack.stateDir);
    const node2 = readPid(paths.pid("kafka-2")) as number;
    assert.ok(await stopPid(paths.pid("kafka-2")));
    await send(100);
    await stack.up();
    assert.ok(!isAlive(node2));
    await send(200);

    // Every acknowledged record, once, once node 2 is back in every partition's in-sync set.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const meta = await admin.fetchTopicMetadata({ topics: [TOPICS.telemetry] });
      if (meta.topics[0]?.partitions.every((p) => p.isr.length === 3)) break;
      assert.ok(Date.now() < deadline, "node 2 back in sync within 60 s");
      await sleep(500);
    }
    const offsets = await admin.fetchTopicOffsets(TOPICS.telemetry);
    assert.equal(
      offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0),
      300,
    );
    await movedLeader(kafka, admin);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }

  const pids = [1, 2, 3].map((n) => readPid(stackPaths(stack?.stateDir ?? "").pid(`kafka-${n}`)) as number);
  await stack.wattline(["stack", "down"], 120_000);
  assert.deepEqual(pids.filter(isAlive), [], "every node stopped");
});

/**
 * Partition 0 is led by node 1, partition 1 by node 2 (node 1 following). With the producer's metadata saying so,
 * partition 1 moves to nodes 1 and 3, led by node 1; a send to both then gets partition 0 acknowledged by node 1 and "not leader" for
 * partition 1 from node 2, and its retry must take partition 1 to node 1, which had already answered.
 */
async function movedLeader(kafka: Kafka, admin: Admin): Promise<void> {
  const topic = "moved-leader";
  await admin.createTopics({
    waitForLeaders: false,
    topics: [
      {
        topic,
        replicaAssignment: [
          { partition: 0, replicas: [1, 3] },
          { partition: 1, replicas: [2, 1] },
        ],
        configEntries: [{ name: "min.insync.replicas", value: "1" }],
      },
    ],
  });
  // Metadata asked in the middle of a move may answer with an error for the partition: asked again.
  const leaderOf1 = async () =>
    (await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined))?.topics[0]?.partitions.find(
      (p) => p.partitionId === 1,
    );
  const until = async (ok: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 30_000;
    while (!(await ok())) {
      assert.ok(Date.now() < deadline, what);
      await sleep(200);
    }
  };
  // Leaders are waited for here: kafkajs's own wait gives up on "does not host" while the topic spreads.
  await until(async () => (await leaderOf1())?.isr.length === 2, "partition 1 on nodes 2 and 1");
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const both = (value: string) =>
      producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic, messages: [0, 1].map((partition) => ({ partition, value })) }],
      });
    await both("before");
    await admin.alterPartitionReassignments({
      topics: [{ topic, partitionAssignment: [{ partition: 1, replicas: [1, 3] }] }],
    });
    await until(async () => (await leaderOf1())?.leader === 1, "partition 1 led by node 1");
    await both("after");
    // The admin's own metadata may still name node 2 for partition 1 ("does not host"): asked again, it refreshes.
    let offsets = await admin.fetchTopicOffsets(topic).catch(() => undefined);
    for (let tries = 1; offsets === undefined && tries < 10; tries++) {
      await sleep(500);
      offsets = await admin.fetchTopicOffsets(topic).catch(() => undefined);
    }
    assert.ok(offsets, "the topic's offsets");
    // Lost records are the bug; a retry may also write one twice (kafkajs is at least once across a leader move,
    // and the ledger and QuestDB drop duplicates), so each partition holds both records, maybe one more.
    const held = offsets.map((o) => [o.partition, Number(o.high)]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    assert.ok(
      held.length === 2 && held.every(([, high]) => (high ?? 0) >= 2),
      `both records of both sends, on both partitions: ${JSON.stringify(held)}`,
    );
  } finally {
    await producer.disconnect();
  }
}
