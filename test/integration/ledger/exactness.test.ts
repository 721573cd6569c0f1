// The stream equals the batch on hand-made traces that stress the ledger's exactness: a suspect reading of a device
// that then falls silent (written provisionally, then corrected by the reading that decides it), a real reset
// followed by silence, and a device whose time zone changes before a recalculation (a late reading) or a replay.
// Readings are produced as Avro straight to Kafka on topics of the test's own; the processor runs as a child process;
// QuestDB's rows that carry something must equal `wattline compute` on the same readings and settings.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { createKafka } from "../../../ground/kafka.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { createTopicsReady, topicNames } from "../../../ground/topics.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import {
  computeRows,
  config,
  type EnergyRows,
  type Fixture,
  fixtureEnv,
  registerFixture,
  startProcessor,
  stopProcessor,
  storedRows,
  unregisterFixture,
  waitForLateReadings,
  waitForRows,
} from "../../support/ledger.ts";
import { unique } from "../../support/stack.ts";
import { poll } from "./support.ts";

const run = promisify(execFile);
const pool = postgresPool(config, 2);
const questdb = questdbPool(config, 2);
const store = schemaStore();
const MIN = 60_000;
const DAY = 86_400_000;
/** The day the traces start on (minutes are counted from its 00:00Z). */
const day = Date.UTC(2024, 5, 4);

/** A processor that folds a reading as soon as a newer one arrives and writes a silent device's suspect after 1 s. */
const FAST: NodeJS.ProcessEnv = {
  WATTLINE_SILENT_FLUSH_MS: "1000",
  WATTLINE_RECALC_MIN_INTERVAL_MS: "1000",
  WATTLINE_ALLOWED_LATENESS_MS: "0",
};

before(() => migrate(config));
after(() => Promise.all([pool.end(), questdb.end()]));

interface DeviceSpec {
  device_id: string;
  site_id: string;
  kind: string;
  timezone: string;
  max_power_w: number | null;
  noise_wh: number;
  counter_persists_across_boot: boolean;
  expected_interval_s: number;
}

/** One hand-made device on topics of its own: its settings (devices.json) and its readings so far (NDJSON). */
function deviceFixture(settings: Partial<DeviceSpec> = {}): Fixture & { device: DeviceSpec } {
  const name = unique("ex").replaceAll("_", "-");
  const dir = mkdtempSync(join(tmpdir(), "wattline-exactness-"));
  const device: DeviceSpec = {
    device_id: `${name}-dev`,
    site_id: `${name}-site`,
    kind: "meter",
    timezone: "UTC",
    max_power_w: null,
    noise_wh: 1,
    counter_persists_across_boot: false,
    expected_interval_s: 900,
    ...settings,
  };
  const fx = {
    dir,
    prefix: `${name}.`,
    capture: "",
    readings: join(dir, "readings.ndjson"),
    devicesFile: join(dir, "devices.json"),
    devices: [device],
    device,
  };
  writeFileSync(fx.devicesFile, JSON.stringify([device]));
  writeFileSync(fx.readings, "");
  return fx;
}

/** Registers the device, creates its telemetry topic, runs `body`, then removes registry rows, topics and group. */
async function withDevice(
  settings: Partial<DeviceSpec>,
  body: (fx: Fixture & { device: DeviceSpec }) => Promise<void>,
): Promise<void> {
  const fx = deviceFixture(settings);
  await registerFixture(pool, fx);
  const admin = createKafka(config, "test-exactness").admin();
  await admin.connect();
  try {
    await createTopicsReady(admin, [
      { topic: topicNames(fx.prefix).telemetry, numPartitions: config.kafka.partitions },
    ]);
    await body(fx);
  } finally {
    await unregisterFixture(pool, fx);
    await admin.deleteGroups([`${fx.prefix}ledger`]).catch(() => {});
    await admin.disconnect();
  }
}

/** [minutes from `day` 00:00Z, counter Wh] */
type Point = [number, number];

/**
 * Produces readings to the fixture's telemetry topic, in the order given (received a second after their ts), and
 * appends them to its readings file for `wattline compute`.
 */
async function send(fx: Fixture & { device: DeviceSpec }, points: Point[]): Promise<void> {
  const producer = createKafka(config, "test-exactness").producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const readings = points.map(([minute, energy]) => ({ ts: day + Math.round(minute * MIN), energy }));
    await producer.send({
      topic: topicNames(fx.prefix).telemetry,
      acks: -1,
      messages: readings.map(({ ts, energy }) => ({
        key: fx.device.device_id,
        value: store.encode("TelemetryReading", {
          device_id: fx.device.device_id,
          ts,
          ts_source: "device",
          energy_wh_total: energy,
          power_w: null,
          boot_id: null,
          seq: null,
          switch_state: null,
          voltage_v: null,
          current_a: null,
          source: "test",
          received_at: ts + 1000,
        }),
      })),
    });
    const lines = readings.map(({ ts, energy }) =>
      JSON.stringify({
        device_id: fx.device.device_id,
        ts: new Date(ts).toISOString(),
        energy_wh_total: energy,
      }),
    );
    appendFileSync(fx.readings, `${lines.join("\n")}\n`);
  } finally {
    await producer.disconnect();
  }
}

/** Produces the readings one at a time, a moment apart. */
async function sendEach(fx: Fixture & { device: DeviceSpec }, points: Point[]): Promise<void> {
  for (const p of points) {
    await send(fx, [p]);
    await sleep(300);
  }
}

/** How many readings of the device QuestDB's readings table holds: what the processor has taken in. */
async function readingsStored(device: string): Promise<number> {
  const { rows } = await questdb.query<{ n: string }>("SELECT count() n FROM readings WHERE device_id = $1", [
    device,
  ]);
  return Number(rows[0]?.n ?? 0);
}

/** The device's stored days that carry something. */
async function storedDays(device: string): Promise<{ energy_wh: number; resets: number }[]> {
  const { rows } = await questdb.query<{ energy_wh: number; resets: number }>(
    "SELECT energy_wh, resets FROM energy_daily WHERE device_id = $1 AND (hours > 0 OR resets > 0) ORDER BY day",
    [device],
  );
  return rows;
}

/**
 * Produces `beforeSilence` one reading at a time, waits until the processor has taken them in and the device, now
 * silent, has its suspect written (`written` holds of its stored days), then produces `rest` the same way.
 */
async function withSilence(
  fx: Fixture & { device: DeviceSpec },
  beforeSilence: Point[],
  written: (days: { energy_wh: number; resets: number }[]) => boolean,
  rest: Point[],
): Promise<void> {
  await sendEach(fx, beforeSilence);
  const taken = await poll(
    () => readingsStored(fx.device.device_id),
    (n) => n >= beforeSilence.length,
    20_000,
  );
  assert.equal(taken, beforeSilence.length, "the processor took in the readings before the silence");
  // Longer than the silent flush: the processor writes what it holds for the silent device.
  await sleep(3000);
  const days = await poll(() => storedDays(fx.device.device_id), written, 10_000);
  assert.ok(written(days), `the silent device's suspect is written: ${JSON.stringify(days)}`);
  await sendEach(fx, rest);
}

/** Moves the device to another zone in the registry and in its devices.json. */
async function setZone(fx: Fixture & { device: DeviceSpec }, timezone: string): Promise<void> {
  await pool.query("UPDATE devices SET timezone = $2 WHERE device_id = $1", [fx.device.device_id, timezone]);
  fx.device.timezone = timezone;
  writeFileSync(fx.devicesFile, JSON.stringify([fx.device]));
}

/** Hour starts of stored hourly rows that carry something and start on a UTC hour (none do in Asia/Kolkata). */
async function utcHourRows(device: string): Promise<string[]> {
  const { rows } = await questdb.query<{ hour_start: Date }>(
    "SELECT hour_start FROM energy_hourly WHERE device_id = $1 AND confidence IS NOT NULL",
    [device],
  );
  return rows
    .map((r) => r.hour_start)
    .filter((t) => t.getUTCMinutes() === 0)
    .map((t) => t.toISOString());
}

const dayRows = (rows: EnergyRows) => rows.daily.map((l) => l.split(" ").slice(2).map(Number));

test("a silent device's glitch to 0 is corrected by its next reading", async () => {
  await withDevice({}, async (fx) => {
    const processor = startProcessor(fx, FAST);
    try {
      await withSilence(
        fx,
        [
          [0, 50_000],
          [15, 50_100],
          [30, 0],
        ],
        (days) => days[0]?.resets === 1,
        [
          [45, 50_200],
          [60, 50_300],
        ],
      );
      const expected = await computeRows(fx);
      assert.deepEqual(dayRows(expected), [[300, 0]]);
      const stored = await waitForRows(questdb, fx, expected, 30_000);
      assert.deepEqual(stored, expected);
      assert.deepEqual(dayRows(stored), [[300, 0]], "300 Wh and no reset (not 50,400 Wh)");
    } finally {
      await stopProcessor(processor);
    }
  });
});

test("a silent device's spike past its max power is corrected by its next reading, and its jump retracted", async () => {
  await withDevice({ max_power_w: 1000 }, async (fx) => {
    const processor = startProcessor(fx, FAST);
    try {
      await withSilence(
        fx,
        [
          [0, 50_000],
          [15, 50_100],
          [30, 1e7],
        ],
        (days) => (days[0]?.energy_wh ?? 0) > 1e6,
        [
          [45, 50_200],
          [60, 50_300],
        ],
      );
      const expected = await computeRows(fx);
      assert.deepEqual(dayRows(expected), [[300, 0]]);
      assert.deepEqual(await waitForRows(questdb, fx, expected, 30_000), expected);
      const anomalies = async () =>
        (
          await questdb.query<{ type: string; ts: Date }>(
            "SELECT type, ts FROM anomalies WHERE device_id = $1 AND NOT retracted ORDER BY ts, type",
            [fx.device.device_id],
          )
        ).rows.map((r) => `${r.type} ${r.ts.toISOString()}`);
      const only = [`glitch_dropped ${new Date(day + 30 * MIN).toISOString()}`];
      const held = await poll(anomalies, (a) => JSON.stringify(a) === JSON.stringify(only), 10_000);
      assert.deepEqual(held, only, "the provisional implausible_jump is retracted; the glitch_dropped stays");
    } finally {
      await stopProcessor(processor);
    }
  });
});

test("a real reset followed by silence is kept when the next readings confirm it", async () => {
  await withDevice({}, async (fx) => {
    const processor = startProcessor(fx, FAST);
    try {
      await withSilence(
        fx,
        [
          [0, 50_000],
          [15, 50_100],
          [30, 5],
        ],
        (days) => days[0]?.resets === 1,
        [
          [45, 105],
          [60, 205],
        ],
      );
      const expected = await computeRows(fx);
      assert.deepEqual(dayRows(expected), [[305, 1]]);
      assert.deepEqual(await waitForRows(questdb, fx, expected, 30_000), expected);
    } finally {
      await stopProcessor(processor);
    }
  });
});

/** Six hours every 15 minutes, from 20:00Z the day before `day` (one UTC day each side of midnight). */
const sixHours: Point[] = Array.from({ length: 25 }, (_, i) => [-240 + 15 * i, 10_000 + 25 * i + (i % 3)]);
/** Between the readings at 21:45Z and 22:00Z. */
const between: Point = [-127.5, 10_190];

test("a zone change followed by a late reading leaves exactly the new zone's rows", async () => {
  await withDevice({}, async (fx) => {
    const processor = startProcessor(fx, FAST);
    try {
      await send(fx, sixHours);
      const utc = await computeRows(fx);
      assert.deepEqual(await waitForRows(questdb, fx, utc, 30_000), utc, "stored in UTC first");

      await setZone(fx, "Asia/Kolkata");
      await sleep(2000); // the processor hears of it (LISTEN/NOTIFY)
      await send(fx, [between]); // later than the allowed lateness: a recalculation
      assert.equal(await waitForLateReadings(fx, 1, 10_000), 1, "the reading is taken as late");
      const expected = await computeRows(fx);
      assert.notDeepEqual(expected, utc);
      assert.deepEqual(await waitForRows(questdb, fx, expected, 30_000), expected);
      assert.deepEqual(await utcHourRows(fx.device.device_id), [], "no UTC hour keeps energy");
    } finally {
      await stopProcessor(processor);
    }
  });
});

test("wattline replay after a zone change leaves exactly the new zone's rows", async () => {
  await withDevice({}, async (fx) => {
    const processor = startProcessor(fx, FAST);
    try {
      await send(fx, sixHours);
      const utc = await computeRows(fx);
      assert.deepEqual(await waitForRows(questdb, fx, utc, 30_000), utc, "stored in UTC first");
    } finally {
      await stopProcessor(processor);
    }

    await setZone(fx, "Asia/Kolkata");
    const range = ["--from", new Date(day - DAY).toISOString(), "--to", new Date(day + DAY).toISOString()];
    await run("node", ["bin/wattline.js", "replay", ...range, "--device", fx.device.device_id], {
      env: { ...fixtureEnv(fx), ...FAST },
    });
    const expected = await computeRows(fx);
    assert.deepEqual(await waitForRows(questdb, fx, expected, 20_000), expected);
    assert.deepEqual(await utcHourRows(fx.device.device_id), [], "no UTC hour keeps energy");
    // Nothing else comes: the rows stay.
    assert.deepEqual(await storedRows(questdb, fx), expected);
  });
});
