import assert from "node:assert/strict";
import { test } from "node:test";
import { createKafka } from "../../../ground/kafka.ts";
import { config, unique } from "../../support/stack.ts";

test("kafka: a produced record is consumed back with its key and value", async () => {
  const kafka = createKafka(config, "smoke-test");
  const topic = unique("smoke");
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: "device-1", value: "hello" }] });
  const consumer = kafka.consumer({ groupId: unique("smoke-group") });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received = await new Promise<{ key: string; value: string }>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => resolve({ key: String(message.key), value: String(message.value) }),
    });
  });
  assert.deepEqual(received, { key: "device-1", value: "hello" });
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
});
