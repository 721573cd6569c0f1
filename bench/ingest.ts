// bench/ingest: MQTT → Kafka readings per second through the real connector (validation, Avro, PUBACK after the
// Kafka ack), against a bare mqtt.js → kafkajs pipe (no validation, no Avro, immediate PUBACK) in the same run.
// Each pipeline drains the same number of QoS 1 messages that the broker queued for its persistent session, so
// the figure is the pipeline's, not the publisher's. Run: node --import tsx bench/ingest.ts [messages]
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";

const N = Number(process.argv[2] ?? 100_000);
const DEVICES = 500;
const run = randomBytes(3).toString("hex");
process.env.WATTLINE_TOPIC_PREFIX = `bench-${run}.`;
const routesFile = join(tmpdir(), `bench-routes-${run}.json`);
writeFileSync(
  routesFile,
  JSON.stringify([{ name: "bench", kind: "telemetry", pattern: `bench${run}/{device}/telemetry` }]),
);
process.env.WATTLINE_MQTT_ROUTES_FILE = routesFile;

const { loadConfig } = await import("../ground/config.ts");
const { createLogger } = await import("../ground/logger.ts");
const { startMqttConnector } = await import("../connectors/mqtt/connector.ts");
const { createKafka } = await import("../ground/kafka.ts");
const { BatchProducer } = await import("../pipelines/runtime/batch-producer.ts");
const { createTopicsReady, ensureTopics, TOPICS } = await import("../ground/topics.ts");

const config = loadConfig();
const logger = createLogger("bench", "warn");
const credentials = { username: config.mqtt.username, password: config.mqtt.password };
const kafka = createKafka(config, "bench-ingest");
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, config);
const bareTopic = `bench-${run}.bare`;
await createTopicsReady(admin, [{ topic: bareTopic, numPartitions: config.kafka.partitions }]);

const kafkaCount = async (topic: string) =>
  (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);

/** Makes the broker keep a session for `clientId`, then queues N readings for it. */
async function queue(clientId: string): Promise<void> {
  const session = await mqtt.connectAsync(config.mqtt.url, { ...credentials, clientId, clean: false });
  await session.subscribeAsync(`bench${run}/+/telemetry`, { qos: 1 });
  await session.endAsync();
  const pub = await mqtt.connectAsync(config.mqtt.url, credentials);
  const t0 = Date.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    const payload = JSON.stringify({
      energy_wh_total: i,
      power_w: 100,
      ts: new Date(t0 + i).toISOString(),
      seq: i,
    });
    inFlight.push(pub.publishAsync(`bench${run}/dev-${i % DEVICES}/telemetry`, payload, { qos: 1 }));
    if (inFlight.length >= 1000) await Promise.all(inFlight.splice(0));
  }
  await Promise.all(inFlight);
  await pub.endAsync();
}

async function until(topic: string, target: number): Promise<void> {
  while ((await kafkaCount(topic)) < target) await new Promise((r) => setTimeout(r, 100));
}

async function bare(): Promise<number> {
  const clientId = `bench-bare-${run}`;
  await queue(clientId);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const batches = new BatchProducer(producer, {
    batchMax: config.kafka.batchMax,
    lingerMs: config.kafka.lingerMs,
    onError: (e) => {
      throw e;
    },
  });
  const t0 = performance.now();
  // The handler is attached before the connection opens: the broker sends the queued messages right behind its
  // CONNACK, and any emitted before a handler exists would be acknowledged and lost.
  const client = mqtt.connect(config.mqtt.url, { ...credentials, clientId, clean: false });
  client.on("message", (topic, payload) => batches.add(bareTopic, topic.split("/")[1] ?? null, payload));
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  await until(bareTopic, N);
  const seconds = (performance.now() - t0) / 1000;
  await client.endAsync();
  await batches.flush();
  await producer.disconnect();
  await mqtt
    .connectAsync(config.mqtt.url, { ...credentials, clientId, clean: true })
    .then((c) => c.endAsync());
  return N / seconds;
}

async function connector(): Promise<number> {
  const clientId = `bench-connector-${run}`;
  const cfg = { ...config, mqtt: { ...config.mqtt, clientId } };
  await (await startMqttConnector(cfg, logger)).stop();
  await queue(clientId);
  const t0 = performance.now();
  const running = await startMqttConnector(cfg, logger);
  await until(TOPICS.telemetry, N);
  const seconds = (performance.now() - t0) / 1000;
  await running.stop();
  await mqtt
    .connectAsync(config.mqtt.url, { ...credentials, clientId, clean: true })
    .then((c) => c.endAsync());
  return N / seconds;
}

const baseline = await bare();
const wattline = await connector();
await admin.deleteTopics({ topics: [bareTopic, ...Object.values(TOPICS)] }).catch(() => {});
await admin.disconnect();
console.log(`messages:                       ${N} (QoS 1, ${DEVICES} devices)`);
console.log(`baseline mqtt.js → kafkajs:     ${Math.round(baseline)} readings/s`);
console.log(`wattline connect mqtt:          ${Math.round(wattline)} readings/s`);
console.log(`ratio (wattline / baseline):    ${(wattline / baseline).toFixed(2)}`);
process.exit(0);
