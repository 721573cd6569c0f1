import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import mqtt from "mqtt";
import type pg from "pg";
import { startMqttConnector } from "../../../connectors/mqtt/connector.ts";
import { createKafka, type Producer } from "../../../ground/kafka.ts";
import { createLogger } from "../../../ground/logger.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { type RunningProcessor, startChargingProcessor } from "../../../pipelines/processors.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { collect } from "../../support/kafka.ts";
import {
  committedOffset,
  deleteGroup,
  eventually,
  processorConfig,
  startGroupAtEnd,
} from "../../support/processors.ts";
import { config, unique } from "../../support/stack.ts";

const logger = createLogger("test", "warn");
const prefix = unique("chp");
const groupId = `${prefix}-group`;
const store = schemaStore();

let processor: RunningProcessor;
let producer: Producer;
let pool: pg.Pool;

before(async () => {
  await startGroupAtEnd(groupId, [TOPICS.connectors]);
  processor = await startChargingProcessor(processorConfig(groupId, { debounceMs: 200 }), logger);
  producer = createKafka(config, "test-charging").producer();
  await producer.connect();
  pool = postgresPool(config, 2);
});

after(async () => {
  await processor.stop();
  await producer.disconnect();
  await pool.query("DELETE FROM charging_stations WHERE external_id LIKE $1", [`${prefix}%`]);
  await pool.query("DELETE FROM charging_connector_counts WHERE replace(station_id, '-', '') LIKE $1", [
    `${prefix.replaceAll("-", "")}%`,
  ]);
  await deleteGroup(groupId);
  await pool.end();
});

let n = 0;
const stationId = (tail: string) => `${prefix}-${n++}-${tail}`;

async function station(externalId: string, points: number[] = []): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    "INSERT INTO charging_stations (external_id, name) VALUES ($1, $2) RETURNING id",
    [externalId, `Station ${externalId}`],
  );
  const id = rows[0]?.id ?? "";
  for (const point of points)
    await pool.query("INSERT INTO charging_points (station_id, point_number) VALUES ($1, $2)", [id, point]);
  return id;
}

async function pointNumbers(id: string): Promise<number[]> {
  const { rows } = await pool.query<{ point_number: number }>(
    "SELECT point_number FROM charging_points WHERE station_id = $1 ORDER BY point_number",
    [id],
  );
  return rows.map((r) => r.point_number);
}

const pointsBecome = (id: string, expected: number[]) =>
  eventually(`points ${expected.join(",")} of station ${id}`, async () => {
    const points = await pointNumbers(id);
    return points.join() === expected.join() ? points : undefined;
  });

async function keptCounts(reportedId: string): Promise<number[]> {
  const { rows } = await pool.query<{ count: number }>(
    "SELECT count FROM charging_connector_counts WHERE station_id = $1 ORDER BY id",
    [reportedId],
  );
  return rows.map((r) => r.count);
}

const countRecord = (stationReported: string, count: number) => ({
  account: "acc1",
  station_id: stationReported,
  connectors_count: count,
  ts: Date.now(),
  received_at: Date.now(),
});

/** Produces to one partition, in order; resolves with the partition and the last record's offset. */
async function produce(
  values: { key: string; value: Buffer }[],
): Promise<{ partition: number; offset: bigint }> {
  const [meta] = await producer.send({
    topic: TOPICS.connectors,
    acks: -1,
    messages: values.map((v) => ({ ...v, partition: 0 })),
  });
  assert.ok(meta);
  return { partition: meta.partition, offset: BigInt(meta.baseOffset ?? "0") + BigInt(values.length - 1) };
}

const counts = (reported: string, ...values: number[]) =>
  values.map((c) => ({
    key: reported,
    value: store.encode("ChargingConnectorCount", countRecord(reported, c)),
  }));

/** Waits until the processor has committed past `offset`: everything up to it is written. */
const processedUpTo = ({ partition, offset }: { partition: number; offset: bigint }) =>
  eventually(`commit past offset ${offset}`, async () =>
    (await committedOffset(groupId, TOPICS.connectors, partition)) > offset ? true : undefined,
  );

test("a count on Kafka creates the missing points (highest count, id without dashes); a lower one removes nothing", async () => {
  const external = stationId("ab-cd");
  const reported = external.replaceAll("-", "");
  const id = await station(external, [1]);
  await produce(counts(reported, 2, 3, 1));
  await pointsBecome(id, [1, 2, 3]);
  assert.deepEqual(await keptCounts(reported), [3]);

  await processedUpTo(await produce(counts(reported, 1)));
  assert.deepEqual(await pointNumbers(id), [1, 2, 3]);
  assert.deepEqual(await keptCounts(reported), [3], "a lower count is not kept");

  await produce(counts(reported, 4));
  await pointsBecome(id, [1, 2, 3, 4]);
  assert.deepEqual(await keptCounts(reported), [3, 4]);
});

test("a station registered after its count arrived gets its points with its next report", async () => {
  const external = stationId("late");
  await processedUpTo(await produce(counts(external, 2)));
  assert.deepEqual(await keptCounts(external), [2]);
  const id = await station(external);
  assert.deepEqual(await pointNumbers(id), []);
  await produce(counts(external, 2));
  await pointsBecome(id, [1, 2]);
});

test("undecodable and invalid records become dead letters and do not stall the partition", async () => {
  const external = stationId("after-bad");
  const id = await station(external);
  const garbageKey = `${prefix}-garbage`;
  const negativeKey = `${prefix}-negative`;
  await produce([
    { key: garbageKey, value: Buffer.from("not avro") },
    ...counts(negativeKey, -1),
    ...counts(external, 1),
  ]);
  await pointsBecome(id, [1]);
  const dead = await collect(TOPICS.deadLetter, (key) => key === garbageKey || key === negativeKey, 2);
  assert.deepEqual(
    dead.map((d) => [d.key, d.record.source, d.record.original_topic, d.record.reason]).sort(),
    [
      [garbageKey, "stream", TOPICS.connectors, "bad_marker"],
      [negativeKey, "stream", TOPICS.connectors, "invalid_record"],
    ].sort(),
  );
});

test("over MQTT with the real connector: a station's connectors-count creates its points", async () => {
  const external = stationId("mqtt");
  const id = await station(external);
  const connector = await startMqttConnector(
    { ...config, mqtt: { ...config.mqtt, clientId: `${prefix}-connector` } },
    logger,
    { cleanSession: true },
  );
  const client = await mqtt.connectAsync(config.mqtt.url, {
    username: config.mqtt.username,
    password: config.mqtt.password,
  });
  try {
    await client.publishAsync(`acc7/sweet-home/${external}/status-control/connectors-count`, "2", { qos: 1 });
    await pointsBecome(id, [1, 2]);
  } finally {
    await client.endAsync();
    await connector.stop();
  }
});
