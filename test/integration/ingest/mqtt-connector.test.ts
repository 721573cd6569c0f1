import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { type MqttConnector, startMqttConnector } from "../../../connectors/mqtt/connector.ts";
import { createLogger } from "../../../ground/logger.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { collect } from "../../support/kafka.ts";
import { config, unique } from "../../support/stack.ts";

const logger = createLogger("test", "warn");
const run = unique("it");
const dev = (name: string) => `${run}-${name}`;
const testConfig = {
  ...config,
  mqtt: { ...config.mqtt, clientId: `${run}-connector`, maxPayloadBytes: 1024 },
};

let connector: MqttConnector;
let publisher: MqttClient;

const publish = (topic: string, payload: string | Buffer) =>
  publisher.publishAsync(topic, payload, { qos: 1 });

before(async () => {
  connector = await startMqttConnector(testConfig, logger, { cleanSession: true });
  publisher = await mqtt.connectAsync(config.mqtt.url, {
    username: config.mqtt.username,
    password: config.mqtt.password,
  });
});

after(async () => {
  await publisher.endAsync();
  await connector.stop();
});

describe("valid messages become Avro records keyed by device id", () => {
  test("telemetry with every field", async () => {
    const device = dev("full");
    const payload = {
      energy_wh_total: 1234.5,
      power_w: 250,
      switch_state: true,
      boot_id: "b7",
      seq: 42,
      ts: "2025-06-01T10:00:00+02:00",
      voltage_v: 230.1,
      current_a: 1.09,
    };
    await publish(`autovolt/${device}/telemetry`, JSON.stringify(payload));
    const [got] = await collect(TOPICS.telemetry, (k) => k === device, 1);
    assert.ok(got);
    assert.equal(got.name, "TelemetryReading");
    const { received_at, ...record } = got.record;
    assert.equal(typeof received_at, "number");
    assert.deepEqual(record, {
      device_id: device,
      ts: Date.UTC(2025, 5, 1, 8),
      ts_source: "device",
      energy_wh_total: 1234.5,
      power_w: 250,
      boot_id: "b7",
      seq: 42,
      switch_state: "on",
      voltage_v: 230.1,
      current_a: 1.09,
      source: "mqtt",
    });
  });

  test("telemetry without ts takes the receive time and says so", async () => {
    const device = dev("nots");
    const before = Date.now();
    await publish(`autovolt/${device}/telemetry`, JSON.stringify({ energy_wh_total: 7 }));
    const [got] = await collect(TOPICS.telemetry, (k) => k === device, 1);
    assert.equal(got?.record.ts_source, "received");
    assert.equal(got?.record.ts, got?.record.received_at);
    assert.ok((got?.record.ts as number) >= before);
    assert.equal(got?.record.power_w, null);
  });

  test("status, heartbeat and connector count", async () => {
    const device = dev("misc");
    await publish(`autovolt/${device}/status`, JSON.stringify({ status: "offline", reason: "last_will" }));
    await publish(
      `autovolt/${device}/heartbeat`,
      JSON.stringify({ uptime_s: 3600, rssi: -61, firmware: "1.2.3" }),
    );
    await publish(`acc9/sweet-home/${device}/status-control/connectors-count`, "3");
    const [status] = await collect(TOPICS.status, (k) => k === device, 1);
    assert.equal(status?.record.status, "offline");
    assert.equal(status?.record.reason, "last_will");
    const [beat] = await collect(TOPICS.heartbeat, (k) => k === device, 1);
    assert.equal(beat?.record.uptime_s, 3600);
    assert.equal(beat?.record.rssi_dbm, -61);
    const [count] = await collect(TOPICS.connectors, (k) => k === device, 1);
    assert.deepEqual(
      [count?.record.account, count?.record.station_id, count?.record.connectors_count],
      ["acc9", device, 3],
    );
  });
});

describe("each kind of invalid input becomes a dead letter with its reason", () => {
  const cases: [string, (d: string) => string, string | Buffer, string, RegExp][] = [
    ["not JSON", (d) => `autovolt/${d}/telemetry`, "{energy: 1", "not_json", /JSON/],
    [
      "wrong type",
      (d) => `autovolt/${d}/telemetry`,
      JSON.stringify({ energy_wh_total: "12" }),
      "invalid_payload",
      /energy_wh_total/,
    ],
    [
      "missing field",
      (d) => `autovolt/${d}/telemetry`,
      JSON.stringify({ power_w: 5 }),
      "invalid_payload",
      /energy_wh_total/,
    ],
    [
      "negative counter",
      (d) => `autovolt/${d}/telemetry`,
      JSON.stringify({ energy_wh_total: -1 }),
      "invalid_payload",
      /energy_wh_total/,
    ],
    [
      "ts without offset",
      (d) => `autovolt/${d}/telemetry`,
      JSON.stringify({ energy_wh_total: 1, ts: "2025-01-01T00:00:00" }),
      "invalid_payload",
      /ts/,
    ],
    ["unknown topic", (d) => `autovolt/${d}/firmware`, "{}", "unknown_topic", /no route/],
    [
      "over the size limit",
      (d) => `autovolt/${d}/telemetry`,
      Buffer.alloc(2048, 32),
      "too_large",
      /2048 bytes/,
    ],
    [
      "bad connector count",
      (d) => `acc/sweet-home/${d}/status-control/connectors-count`,
      "-2",
      "invalid_payload",
      /.+/,
    ],
  ];
  for (const [name, topicOf, payload, reason, details] of cases) {
    test(name, async () => {
      const device = dev(name.replaceAll(" ", "_"));
      const topic = topicOf(device);
      await publish(topic, payload);
      const [got] = await collect(TOPICS.deadLetter, (k) => k === device || k === topic, 1);
      assert.ok(got, "a dead letter arrived");
      assert.equal(got.record.reason, reason);
      assert.match(String(got.record.details), details);
      assert.equal(got.record.original_topic, topic);
      assert.equal(got.record.source, "mqtt");
      assert.deepEqual(got.record.payload, Buffer.isBuffer(payload) ? payload : Buffer.from(payload));
    });
  }

  test("the connector keeps going after bad input", async () => {
    const device = dev("after-bad");
    await publish(`autovolt/${device}/telemetry`, "\u0000\u0001garbage");
    await publish(
      `autovolt/${device}/telemetry`,
      JSON.stringify({ energy_wh_total: 1, ts: 1_700_000_000_000 }),
    );
    const [got] = await collect(TOPICS.telemetry, (k) => k === device, 1);
    assert.equal(got?.record.ts, 1_700_000_000_000);
  });
});

describe("implausible device times become ts_out_of_range dead letters", () => {
  test("a far-future and a 1990 reading are dead-lettered, a good one published after them is stored", async () => {
    const device = dev("ts-range");
    const topic = `autovolt/${device}/telemetry`;
    const future = JSON.stringify({ energy_wh_total: 1, ts: Date.now() + 10 * 365 * 86_400_000 });
    const ancient = JSON.stringify({ energy_wh_total: 2, ts: "1990-06-01T00:00:00Z" });
    const good = JSON.stringify({ energy_wh_total: 3, ts: new Date(Date.now() - 60_000).toISOString() });
    await publish(topic, future);
    await publish(topic, ancient);
    await publish(topic, good);

    const dead = await collect(TOPICS.deadLetter, (k) => k === device, 2);
    assert.deepEqual(
      dead.map((d) => [d.record.reason, d.record.original_topic, d.record.source, String(d.record.payload)]),
      [
        ["ts_out_of_range", topic, "mqtt", future],
        ["ts_out_of_range", topic, "mqtt", ancient],
      ],
    );
    assert.match(String(dead[0]?.record.details), /is more than \d+ ms after its receive time/);
    assert.match(String(dead[1]?.record.details), /^ts 1990-06-01T00:00:00.000Z is before 2000-01-01/);

    // One key, one partition, in publish order: the good reading is the first of this device on the topic.
    const stored = await collect(
      TOPICS.telemetry,
      (k) => k === device,
      (c) => c.some((r) => r.record.energy_wh_total === 3),
    );
    assert.deepEqual(
      stored.map((r) => [r.record.energy_wh_total, r.record.ts_source]),
      [[3, "device"]],
    );
  });
});
