// Issue 11: the running MQTT connector, driven with generated topics and payloads (random bytes, invalid UTF-8, deep
// or huge JSON up to the broker's limit, NaN/Infinity as strings, huge numbers, long ids, far times), turns every
// message into exactly one record or one dead letter with a reason, and never stops. Topics of its own, so that
// everything on them is counted. FUZZ_SEED=<n> replays a run.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import mqtt, { type MqttClient } from "mqtt";
import { type MqttConnector, startMqttConnector } from "../../../connectors/mqtt/connector.ts";
import { createLogger } from "../../../ground/logger.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { idSuffixArb, payloadArb, topicArb } from "../../support/hostile-input.ts";
import { ownTopics, type Read, readAll } from "../../support/own-topics.ts";
import { config } from "../../support/stack.ts";

const own = ownTopics("fuzz-mqtt");
const run = own.prefix.slice(0, -1).replaceAll(".", "-");
const MESSAGES = 150;
/** Under Mosquitto's message_size_limit (1 MiB) with room for the topic. */
const BROKER_LIMIT = 1_000_000;
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

let connector: MqttConnector;
let publisher: MqttClient;
let exited: Error | undefined;

before(async () => {
  const testConfig = { ...config, mqtt: { ...config.mqtt, clientId: `${run}-connector` } };
  connector = await startMqttConnector(testConfig, createLogger("test", "warn"), { cleanSession: true });
  connector.failed.catch((err: Error) => {
    exited = err;
  });
  publisher = await mqtt.connectAsync(config.mqtt.url, {
    username: config.mqtt.username,
    password: config.mqtt.password,
  });
});

after(async () => {
  await publisher?.endAsync();
  await connector?.stop();
  await own.drop();
});

test(`every generated message is one record or one dead letter with a reason (seed ${seed})`, async () => {
  const messages = fc
    .sample(fc.tuple(topicArb, idSuffixArb, payloadArb(BROKER_LIMIT)), { numRuns: MESSAGES, seed })
    .map(([pattern, suffix, payload], i) => ({
      topic: pattern.replace("{id}", `${run}-${i}${suffix}`),
      payload,
    }));
  for (const m of messages) await publisher.publishAsync(m.topic, m.payload, { qos: 1 });

  // The broker is shared: other devices' messages reach this connector too, and only this run's are counted.
  const index = (r: Read) => Number(new RegExp(`${run}-(\\d+)`).exec(r.key ?? "")?.[1] ?? -1);
  const ours = (all: Read[]) => all.filter((r) => index(r) >= 0);
  const read = ours(await readAll(undefined, (all) => ours(all).length >= MESSAGES, 60_000));
  // Read on a little longer: a second record for any message would show up now.
  const again = ours(await readAll(undefined, (all) => ours(all).length > MESSAGES, 2000));
  const perMessage = new Map<number, Read[]>();
  for (const r of again.length > read.length ? again : read)
    perMessage.set(index(r), [...(perMessage.get(index(r)) ?? []), r]);

  const reasons: Record<string, number> = {};
  for (const r of read) {
    const reason = r.topic === TOPICS.deadLetter ? String(r.record.reason) : "record";
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    if (r.topic === TOPICS.deadLetter) {
      assert.ok((r.record.payload as Buffer).length <= 4096, "a dead letter keeps at most 4 KiB");
      assert.ok(String(r.record.details ?? "").length > 0, "a dead letter says why");
    }
  }
  process.stdout.write(`# seed ${seed}: ${MESSAGES} messages → ${JSON.stringify(reasons)}\n`);
  const missing = messages.map((_, i) => i).filter((i) => (perMessage.get(i)?.length ?? 0) !== 1);
  assert.deepEqual(
    missing.map((i) => [i, perMessage.get(i)?.length ?? 0, messages[i]?.topic.slice(0, 80)]),
    [],
    "each message exactly once",
  );
  assert.equal(exited, undefined, "the connector never gave up");
  assert.ok(connector.client.connected, "the connector is still connected");
});

test("a 1 MB message on an unknown topic and twenty invalid 60 kB messages of one device do not stop good input", async () => {
  const device = `${run}-x-burst`;
  await publisher.publishAsync(`autovolt/${run}-x-big/firmware`, Buffer.alloc(BROKER_LIMIT, 0x61), {
    qos: 1,
  });
  const invalid = JSON.stringify({ energy_wh_total: "x".repeat(60_000) });
  await Promise.all(
    Array.from({ length: 20 }, () =>
      publisher.publishAsync(`autovolt/${device}/telemetry`, invalid, { qos: 1 }),
    ),
  );
  await publisher.publishAsync(`autovolt/${device}/telemetry`, JSON.stringify({ energy_wh_total: 5 }), {
    qos: 1,
  });
  const isMine = (r: Read) => r.key?.includes(`${run}-x-`) === true;
  const mine = (await readAll(undefined, (all) => all.filter(isMine).length >= 22)).filter(isMine);
  const kinds = (rs: Read[]) => rs.map((r) => (r.topic === TOPICS.deadLetter ? r.record.reason : "record"));
  // Topics are read in no particular order.
  const burst = mine.filter((r) => r.key === device);
  assert.deepEqual(kinds(burst).sort(), [...Array(20).fill("invalid_payload"), "record"]);
  const big = mine.filter((r) => r.key !== device);
  assert.deepEqual(kinds(big), ["unknown_topic"]);
  assert.match(String(big[0]?.record.details), /payload 1000000 bytes, sha256 [0-9a-f]{64}, first 4096 kept/);
  assert.equal(exited, undefined);
});
