import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import mqtt from "mqtt";
import type pg from "pg";
import { type MqttConnector, startMqttConnector } from "../../../connectors/mqtt/connector.ts";
import { createKafka, type Producer } from "../../../ground/kafka.ts";
import { createLogger } from "../../../ground/logger.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { type RunningProcessor, startStatusProcessor } from "../../../pipelines/processors.ts";
import { countOnline } from "../../../pipelines/status/store.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { collect } from "../../support/kafka.ts";
import { deleteGroup, eventually, processorConfig, startGroupAtEnd } from "../../support/processors.ts";
import { config, unique } from "../../support/stack.ts";

const logger = createLogger("test", "warn");
const run = unique("status");
const site = `${run}-site`.replaceAll("_", "-");
const groupId = `${run}-group`;
const store = schemaStore();

let processor: RunningProcessor;
let producer: Producer;
let pool: pg.Pool;
let questdb: pg.Pool;

before(async () => {
  await startGroupAtEnd(groupId, [TOPICS.status, TOPICS.heartbeat, TOPICS.telemetry]);
  processor = await startStatusProcessor(processorConfig(groupId, { sweepMs: 200 }), logger);
  producer = createKafka(config, "test-status").producer();
  await producer.connect();
  pool = postgresPool(config, 2);
  questdb = questdbPool(config, 1);
  await pool.query("INSERT INTO sites (id, name, timezone) VALUES ($1, 'status test', 'UTC')", [site]);
});

after(async () => {
  await processor.stop();
  await producer.disconnect();
  await pool.query("DELETE FROM device_status WHERE device_id LIKE $1", [`${run}%`]);
  await pool.query("DELETE FROM sites WHERE id = $1", [site]);
  await deleteGroup(groupId);
  await pool.end();
  await questdb.end();
});

interface StatusRow {
  status: string;
  reason: string;
  changed_at: Date;
  last_seen: Date | null;
}

const statusOf = async (device: string) =>
  (await pool.query<StatusRow>("SELECT * FROM device_status WHERE device_id = $1", [device])).rows[0];

const becomes = (device: string, status: string, reason: string) =>
  eventually(`${device} ${status} (${reason})`, async () => {
    const row = await statusOf(device);
    return row?.status === status && row.reason === reason ? row : undefined;
  });

/** The device's rows in device_status_history, once there are `count` (WAL tables apply asynchronously). */
const history = (device: string, count: number) =>
  eventually(`${count} history rows of ${device}`, async () => {
    const { rows } = await questdb
      .query<{ status: string; previous_status: string | null; reason: string; ts_us: string }>(
        `SELECT status, previous_status, reason, cast(ts AS long) AS ts_us
           FROM device_status_history WHERE device_id = $1 ORDER BY ts`,
        [device],
      )
      .catch(() => ({ rows: [] }));
    return rows.length >= count ? rows : undefined;
  });

const transitionsOf = async (device: string, expected: number) =>
  // One more than expected, with a short timeout: shows that nothing else was published.
  (await collect(TOPICS.transitions, (key) => key === device, expected + 1, 3_000)).map((c) => c.record);

async function heartbeat(device: string): Promise<number> {
  const receivedAt = Date.now();
  const record = {
    device_id: device,
    ts: receivedAt,
    uptime_s: null,
    rssi_dbm: null,
    firmware: null,
    boot_id: null,
    source: "test",
    received_at: receivedAt,
  };
  await producer.send({
    topic: TOPICS.heartbeat,
    messages: [{ key: device, value: store.encode("Heartbeat", record) }],
  });
  return receivedAt;
}

async function reading(device: string): Promise<number> {
  const receivedAt = Date.now();
  const record = {
    device_id: device,
    ts: receivedAt,
    ts_source: "device" as const,
    energy_wh_total: 100,
    power_w: null,
    boot_id: null,
    seq: null,
    switch_state: null,
    voltage_v: null,
    current_a: null,
    source: "test",
    received_at: receivedAt,
  };
  await producer.send({
    topic: TOPICS.telemetry,
    messages: [{ key: device, value: store.encode("TelemetryReading", record) }],
  });
  return receivedAt;
}

test("over MQTT: a device's heartbeat brings it online, its last will turns it offline", async () => {
  const device = `${run}-lwt`;
  const connector: MqttConnector = await startMqttConnector(
    { ...config, mqtt: { ...config.mqtt, clientId: `${run}-connector` } },
    logger,
    { cleanSession: true },
  );
  const client = await mqtt.connectAsync(config.mqtt.url, {
    clientId: `${run}-device`,
    username: config.mqtt.username,
    password: config.mqtt.password,
    reconnectPeriod: 0,
    will: {
      topic: `autovolt/${device}/status`,
      payload: Buffer.from('{"status":"offline"}'),
      qos: 1,
      retain: false,
    },
  });
  try {
    await client.publishAsync(`autovolt/${device}/heartbeat`, JSON.stringify({ uptime_s: 5 }), { qos: 1 });
    const online = await becomes(device, "online", "heartbeat");
    assert.ok(online.last_seen);
    // Dropping the connection without DISCONNECT makes the broker publish the last will.
    client.stream.destroy();
    const offline = await becomes(device, "offline", "message");
    assert.ok(offline.changed_at > online.changed_at);
    assert.deepEqual(offline.last_seen, online.last_seen, "a last will is not a sign of life");
  } finally {
    await client.endAsync(true);
    await connector.stop();
  }
  const published = await transitionsOf(device, 2);
  assert.deepEqual(
    published.map((r) => [r.status, r.reason, r.source]),
    [
      ["online", "heartbeat", "status-processor"],
      ["offline", "message", "status-processor"],
    ],
  );
});

test("silence: offline after 3 × expected_interval_s without a message, online with the next, silent again", async () => {
  const device = `${run}-quiet`;
  await pool.query(
    "INSERT INTO devices (device_id, site_id, kind, expected_interval_s) VALUES ($1, $2, 'meter', 1)",
    [device, site],
  );
  const first = await heartbeat(device);
  await heartbeat(device);
  const last = await heartbeat(device);
  await becomes(device, "online", "heartbeat");
  assert.ok((await countOnline(pool)) >= 1);

  const silent = await becomes(device, "offline", "silence");
  assert.equal(silent.last_seen?.getTime(), last);
  assert.equal(silent.changed_at.getTime(), last + 3_000, "offline from the end of the allowed gap");

  const back = await reading(device);
  const online = await becomes(device, "online", "telemetry");
  assert.equal(online.changed_at.getTime(), back);
  const again = await becomes(device, "offline", "silence");
  assert.equal(again.changed_at.getTime(), back + 3_000);

  const rows = await history(device, 4);
  assert.deepEqual(
    rows.map((r) => [r.previous_status, r.status, r.reason, Number(r.ts_us) / 1000]),
    [
      [null, "online", "heartbeat", first],
      ["online", "offline", "silence", last + 3_000],
      ["offline", "online", "telemetry", back],
      ["online", "offline", "silence", back + 3_000],
    ],
  );
  const published = await transitionsOf(device, 4);
  assert.deepEqual(
    published.map((r) => [r.status, r.reason, r.ts]),
    rows.map((r) => [r.status, r.reason, Number(r.ts_us) / 1000]),
    "the feed carries the transitions only, not every heartbeat",
  );
});

test("a meter replacement on the telemetry topic is neither a sign of life nor a dead letter", async () => {
  const device = `${run}-swap`;
  const receivedAt = Date.now();
  const swap = {
    device_id: device,
    ts: receivedAt,
    old_final_wh_total: 100,
    new_initial_wh_total: 0,
    source: "test",
    received_at: receivedAt,
  };
  await producer.send({
    topic: TOPICS.telemetry,
    messages: [{ key: device, value: store.encode("MeterReplacement", swap) }],
  });
  // Read after the event, in the device's order: once it counts, the event was processed before it.
  await reading(device);
  await becomes(device, "online", "telemetry");
  assert.deepEqual(
    (await transitionsOf(device, 1)).map((r) => r.status),
    ["online"],
  );
  assert.deepEqual(await collect(TOPICS.deadLetter, (key) => key === device, 1, 3_000), []);
});
