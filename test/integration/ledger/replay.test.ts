import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createKafka } from "../../../ground/kafka.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool, questdbSender } from "../../../ground/questdb.ts";
import { ensureTopics, TOPICS } from "../../../ground/topics.ts";
import { computeDevice, type DeviceResult } from "../../../pipelines/core/batch.ts";
import type { Reading } from "../../../pipelines/core/reading.ts";
import { defaultSettings } from "../../../pipelines/core/settings.ts";
import { type StoredHour, writeHour } from "../../../pipelines/ledger/energy-rows.ts";
import { type ReplayOptions, type ReplaySummary, replayRange } from "../../../pipelines/ledger/replay.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { config, unique } from "../../support/stack.ts";
import { type DeviceRows, deviceRows, poll } from "./support.ts";

const DAY = 86_400_000;
const d1 = Date.UTC(2003, 1, 10);
const [d4, d5, d7] = [d1 + 3 * DAY, d1 + 4 * DAY, d1 + 6 * DAY];
const questdb = questdbPool(config, 2);
const pool = postgresPool(config, 1);
const site = unique("replay-site");
const summaries: ReplaySummary[] = [];

/**
 * Six days every 10 minutes, with a reset, a one-reading glitch and a duplicate, in arrival order; with `late`,
 * one reading arrives an hour behind its device's newest, far beyond the allowed lateness.
 */
function arrivals(device: string, late: boolean): Reading[] {
  const out: Reading[] = [];
  let counter = 1000;
  for (let i = 0; i < 6 * 144; i++) {
    counter += 5 + (i % 7);
    if (i === 100) counter = 3; // the meter restarted
    const ts = d1 + i * 600_000;
    out.push({ device_id: device, ts, energy_wh_total: i === 200 ? 0 : counter });
    if (i === 250) out.push({ device_id: device, ts, energy_wh_total: counter + 50 }); // received later
  }
  if (late) out.splice(236, 0, out.splice(230, 1)[0] as Reading);
  return out;
}

/** A device folded in one pass (registered, in Kolkata: buckets at :30 UTC) and one that needs the second. */
const devices = [
  { ...defaultSettings(unique("replay-inorder")), timezone: "Asia/Kolkata", late: false },
  { ...defaultSettings(unique("replay-late")), late: true },
].map(({ late, ...settings }) => {
  const sent = arrivals(settings.device_id, late);
  return { id: settings.device_id, settings, sent, batch: computeDevice(sent, settings) };
});
const ids = devices.map((d) => d.id);
const lateDevice = devices[1] as (typeof devices)[number];

const round = (x: number | null) => (x === null ? null : Math.round(x * 1e6) / 1e6);
const inRange = (t: number, from: number, to: number) => t >= from && t < to;

function expected(batch: DeviceResult, from: number, to: number) {
  return {
    hours: batch.hourly
      .filter((h) => inRange(h.hour_start, from, to))
      .map((h) => [
        h.hour_start,
        round(h.energy_wh),
        h.readings,
        h.duplicates,
        h.resets,
        h.anomalies,
        h.confidence,
      ]),
    days: batch.daily
      .filter((d) => inRange(Date.parse(`${d.date}T00:00:00Z`), from, to))
      .map((d) => [d.date, round(d.energy_wh), d.hours, d.readings, d.duplicates, d.resets, d.confidence]),
  };
}

function actual(rows: DeviceRows) {
  return {
    hours: rows.hours.map((h) => [
      h.hour_start,
      round(h.energy_wh),
      h.readings,
      h.duplicates,
      h.resets,
      h.anomalies,
      h.confidence,
    ]),
    days: rows.days.map((d) => [
      d.date,
      round(d.energy_wh),
      d.hours,
      d.readings,
      d.duplicates,
      d.resets,
      d.confidence,
    ]),
  };
}

const stored = (id: string) => deviceRows(questdb, id);

/** Waits until every device's stored rows are the batch's rows of [from, to) (and no others); returns them. */
async function storedEquals(from: number, to: number) {
  const all = [];
  for (const d of devices) {
    const want = JSON.stringify(expected(d.batch, from, to));
    all.push(
      actual(
        await poll(
          () => stored(d.id),
          (r) => JSON.stringify(actual(r)) === want,
        ),
      ),
    );
  }
  return all;
}

const expectedAll = (from: number, to: number) => devices.map((d) => expected(d.batch, from, to));
const count = (from: number, to: number) => expectedAll(from, to).reduce((n, e) => n + e.hours.length, 0);
const countDays = (from: number, to: number) => expectedAll(from, to).reduce((n, e) => n + e.days.length, 0);
const totalWh = devices.reduce(
  (s, d) =>
    s + d.batch.hourly.filter((h) => inRange(h.hour_start, d1, d7)).reduce((t, h) => t + h.energy_wh, 0),
  0,
);

async function replay(
  from: number,
  to: number,
  dryRun = false,
  more: Pick<ReplayOptions, "workers" | "withReadings"> = {},
): Promise<ReplaySummary> {
  const s = await replayRange(config, { from, to, devices: ids, dryRun, ...more });
  summaries.push(s);
  return s;
}

/** Writes whole hourly rows and waits until they are visible; WAL transactions apply in order, so is all before. */
async function writeMarkers(rows: StoredHour[]): Promise<void> {
  const sender = await questdbSender(config);
  for (const h of rows) await writeHour(sender, h);
  await sender.flush();
  await sender.close();
  await poll(
    () => stored(lateDevice.id),
    (r) =>
      rows.every((m) => r.hours.some((h) => h.hour_start === m.hour_start && h.energy_wh === m.energy_wh)),
  );
}

const marker = (hour_start: number): StoredHour => ({
  device_id: lateDevice.id,
  hour_start,
  local_date: new Date(hour_start).toISOString().slice(0, 10),
  energy_wh: 999_999,
  readings: 0,
  duplicates: 0,
  resets: 0,
  replacements: 0,
  anomalies: 0,
  confidence: "low",
  cost: null,
  currency: null,
});

before(async () => {
  const [inOrder] = devices;
  await pool.query("INSERT INTO sites (id, name, timezone) VALUES ($1, 'replay test', 'Asia/Kolkata')", [
    site,
  ]);
  await pool.query(
    "INSERT INTO devices (device_id, site_id, kind, timezone) VALUES ($1, $2, 'meter', 'Asia/Kolkata')",
    [inOrder?.id, site],
  );
  const store = schemaStore();
  const admin = createKafka(config, "test-replay").admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const producer = createKafka(config, "test-replay").producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (const d of devices) {
    // Readings with implausible timestamps, which the stream drops (ts_out_of_range), follow the device's: before
    // 2000, and a day past their receipt. The batch never sees them; nor may the replay.
    const now = Date.now();
    const implausible = [
      { device_id: d.id, ts: Date.UTC(1999, 5, 1), energy_wh_total: 5 },
      { device_id: d.id, ts: now + DAY, energy_wh_total: 1e9 },
    ];
    await producer.send({
      topic: TOPICS.telemetry,
      acks: -1,
      messages: [...d.sent, ...implausible].map((r) => ({
        key: d.id,
        value: store.encode("TelemetryReading", {
          device_id: d.id,
          ts: r.ts,
          ts_source: "device",
          energy_wh_total: r.energy_wh_total,
          power_w: null,
          boot_id: null,
          seq: null,
          switch_state: null,
          voltage_v: null,
          current_a: null,
          source: "test",
          received_at: now,
        }),
      })),
    });
  }
  await producer.disconnect();
  for (const { batch } of devices) {
    // The trace exercises what it should.
    assert.equal(
      batch.daily.reduce((n, d) => n + d.resets, 0),
      1,
    );
    assert.deepEqual(
      batch.anomalies.map((a) => a.type),
      ["glitch_dropped"],
    );
  }
});

after(async () => {
  await pool.query("DELETE FROM sites WHERE id = $1", [site]);
  await Promise.all([questdb.end(), pool.end()]);
});

test("a dry run reports what a replay would write", async () => {
  const s = await replay(d1, d7, true);
  assert.equal(s.dry_run, true);
  assert.deepEqual(s.second_pass.device_ids, [lateDevice.id], "the late reading sends its device to pass 2");
  assert.equal(s.hourly.added + s.hourly.compared, count(d1, d7));
  assert.equal(s.daily.added + s.daily.compared, countDays(d1, d7));
  assert.equal(s.rows.hourly, count(d1, d7));
  assert.equal(
    s.readings,
    devices.reduce((n, d) => n + d.sent.length, 0),
  );
  assert.ok(s.records >= s.readings);
  assert.equal(round(s.hourly.energy_wh_after), round(totalWh));
});

test("a replay of one day writes that day's rows, equal to the batch, and none outside it", async () => {
  await replay(d4, d5);
  // Rows of other days would mean the dry run or this replay wrote outside what it was asked to.
  assert.deepEqual(await storedEquals(d4, d5), expectedAll(d4, d5));
});

test("a replay of the whole range gives the batch result; a second one changes nothing", async (t) => {
  const first = await replay(d1, d7);
  assert.equal(first.hourly.compared, count(d4, d5));
  assert.equal(first.hourly.changed, 0);
  assert.equal(first.hourly.added, count(d1, d7) - count(d4, d5));
  assert.deepEqual(await storedEquals(d1, d7), expectedAll(d1, d7));

  // One worker instead of one per core: the same rows, whichever shards the partitions are read in.
  const second = await replay(d1, d7, false, { workers: 1 });
  assert.equal(second.hourly.compared, count(d1, d7));
  assert.equal(second.daily.compared, countDays(d1, d7));
  const changes = [second.hourly.changed, second.hourly.added, second.daily.changed, second.daily.added];
  assert.deepEqual(changes, [0, 0, 0, 0]);
  assert.equal(round(second.hourly.energy_wh_before), round(totalWh));
  assert.equal(round(second.hourly.energy_wh_after), round(totalWh));
  for (const s of summaries)
    t.diagnostic(`replay: ${s.records} records in ${s.seconds} s, ${s.records_per_s}/s`);
});

test("a replay restores a damaged row in its range, leaves rows outside it alone; a dry run only reports", async () => {
  const hours = lateDevice.batch.hourly.map((h) => h.hour_start);
  const hourAt = (i: number) => hours[i] as number;
  const [before, inside, beyond] = [hourAt(5), hourAt(3 * 24 + 6), hourAt(5 * 24 + 5)];
  await writeMarkers([marker(before), marker(inside)]);
  const value = async (hour: number) =>
    (await stored(lateDevice.id)).hours.find((h) => h.hour_start === hour)?.energy_wh;

  const dry = await replay(d4, d5, true);
  assert.deepEqual([dry.hourly.changed, dry.daily.changed], [1, 0]);
  // A later write visible means every earlier one is: the dry run's, had it written any.
  await writeMarkers([marker(beyond)]);
  assert.equal(await value(inside), 999_999);

  const real = await replay(d4, d5);
  assert.deepEqual([real.hourly.changed, real.hourly.added], [1, 0]);
  await poll(
    () => value(inside),
    (v) => v !== 999_999,
  );
  for (const outside of [before, beyond]) assert.equal(await value(outside), 999_999);

  await replay(d1, d7);
  assert.deepEqual(await storedEquals(d1, d7), expectedAll(d1, d7));
});

test("readings rows are the input: a replay rewrites them only when asked (withReadings)", async () => {
  const inRangeTs = [...new Set(lateDevice.sent.map((r) => r.ts))].filter((t) => inRange(t, d4, d5));
  const damaged = inRangeTs[10] as number;
  const original = lateDevice.sent.find((r) => r.ts === damaged)?.energy_wh_total;
  const readings = async () =>
    (
      await questdb.query<{ ts: Date; energy_wh_total: number }>(
        "SELECT ts, energy_wh_total FROM readings WHERE device_id = $1 AND ts >= $2 AND ts < $3",
        [lateDevice.id, new Date(d4).toISOString(), new Date(d5).toISOString()],
      )
    ).rows;

  const without = await replay(d4, d5);
  assert.equal(without.rows.readings, 0);
  // A later write visible means every earlier one is: the replay's, had it written readings.
  const sender = await questdbSender(config);
  sender.table("readings").symbol("device_id", lateDevice.id).floatColumn("energy_wh_total", 999_999);
  await sender.at(BigInt(damaged), "ms");
  await sender.flush();
  await sender.close();
  const seen = await poll(readings, (rows) => rows.length > 0);
  assert.deepEqual(
    seen.map((r) => [r.ts.getTime(), r.energy_wh_total]),
    [[damaged, 999_999]],
  );

  const restored = await replay(d4, d5, false, { withReadings: true });
  const tsInRange = (d: (typeof devices)[number]) =>
    new Set(d.sent.map((r) => r.ts).filter((t) => inRange(t, d4, d5)));
  assert.equal(
    restored.rows.readings,
    devices.reduce((n, d) => n + tsInRange(d).size, 0),
  );
  const rows = await poll(
    readings,
    (r) => r.length === inRangeTs.length && r.every((x) => x.energy_wh_total !== 999_999),
  );
  assert.equal(rows.find((r) => r.ts.getTime() === damaged)?.energy_wh_total, original);
});
