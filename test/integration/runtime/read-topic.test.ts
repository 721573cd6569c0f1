// readTopic on the shared Kafka: it reads a topic to its end, and a handler that fails ends the read with its error
// (kafkajs would retry the batch for ever: a replay whose QuestDB write was refused hung instead of failing).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { createKafka } from "../../../ground/kafka.ts";
import { readTopic } from "../../../pipelines/runtime/read-topic.ts";
import { config } from "../../support/stack.ts";

const kafka = createKafka(config, "read-topic-test");
const topic = `read-topic-${randomBytes(3).toString("hex")}`;
const admin = kafka.admin();

after(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

test("readTopic reads to the end, and a failing handler ends the read with its error", async () => {
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
  });
  await producer.disconnect();

  const seen: string[] = [];
  await readTopic(kafka, topic, {
    onBatch: (_p, messages) => void seen.push(...messages.map((m) => `${m.value}`)),
  });
  assert.deepEqual(
    seen.sort((a, b) => Number(a) - Number(b)),
    Array.from({ length: 10 }, (_, i) => String(i)),
  );

  const started = Date.now();
  await assert.rejects(
    readTopic(kafka, topic, {
      onBatch: () => {
        throw new Error("the sink refused the rows");
      },
    }),
    /the sink refused the rows/,
  );
  assert.ok(Date.now() - started < 30_000, "it ends rather than retrying");
});
