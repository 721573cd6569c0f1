// The baseline of bench/e2e: the least a pipe from MQTT to QuestDB through Kafka can do, in two processes like
// Wattline's connector and processor. `bridge`: mqtt.js (QoS 1, acknowledged on receipt) → kafkajs (batched, no
// validation, no Avro). `sink`: a kafkajs consumer → one ILP row per reading (its device, counter and timestamp),
// flushed and committed per batch; it also keeps publish→stored latencies, sent to the parent on request.
// Settings come from the environment the parent gives: BENCH_BARE_{FILTER,CLIENT,TOPIC,GROUP,TABLE}.
import mqtt from "mqtt";
import { loadConfig } from "../../ground/config.ts";
import { createKafka } from "../../ground/kafka.ts";
import { questdbSender } from "../../ground/questdb.ts";
import { BatchProducer } from "../../pipelines/runtime/batch-producer.ts";
import { Histogram } from "./histogram.ts";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const config = loadConfig();
const kafka = createKafka(config, "bench-e2e-bare");

async function bridge(): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const batches = new BatchProducer(producer, {
    batchMax: config.kafka.batchMax,
    lingerMs: config.kafka.lingerMs,
    onError: (err) => {
      throw err;
    },
  });
  const topic = env("BENCH_BARE_TOPIC");
  const client = await mqtt.connectAsync(config.mqtt.url, {
    username: config.mqtt.username,
    password: config.mqtt.password,
    clientId: env("BENCH_BARE_CLIENT"),
    clean: false,
  });
  client.on("message", (t, payload) => batches.add(topic, t.split("/")[1] ?? null, payload));
  await client.subscribeAsync(env("BENCH_BARE_FILTER"), { qos: 1 });
  process.send?.("ready");
  process.once("SIGTERM", async () => {
    await client.endAsync();
    await batches.flush();
    await producer.disconnect();
    process.exit(0);
  });
}

async function sink(): Promise<void> {
  const sender = await questdbSender(config);
  const table = env("BENCH_BARE_TABLE");
  let latency = new Histogram();
  process.on("message", (m) => {
    if (m === "reset") latency = new Histogram();
    if (m === "report") process.send?.({ latency: latency.toJSON() });
  });
  const consumer = kafka.consumer({ groupId: env("BENCH_BARE_GROUP"), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: env("BENCH_BARE_TOPIC"), fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const stamps: number[] = [];
      for (const m of batch.messages) {
        const r = JSON.parse(m.value?.toString() ?? "{}") as { ts: string; energy_wh_total: number };
        const ts = Date.parse(r.ts);
        stamps.push(ts);
        sender
          .table(table)
          .symbol("device_id", m.key?.toString() ?? "")
          .floatColumn("energy_wh", r.energy_wh_total);
        await sender.at(BigInt(ts), "ms");
      }
      await sender.flush();
      const now = Date.now();
      for (const ts of stamps) latency.add(now - ts);
      const last = batch.messages.at(-1);
      if (last)
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: String(BigInt(last.offset) + 1n) },
        ]);
    },
  });
  process.send?.("ready");
  process.once("SIGTERM", async () => {
    await consumer.disconnect();
    await sender.close();
    process.exit(0);
  });
}

await (process.argv[2] === "bridge" ? bridge() : sink());
