// The stream equals the batch on hand-made traces that stress the ledger's exactness: a suspect reading of a device
// that then falls silent (written provisionally, then corrected by the reading that decides it), a real reset
// followed by silence, a reading arriving behind what a silent device's flush wrote, and a device whose time zone
// changes before a recalculation (a late reading) or a replay.
// Readings are produced as Avro straight to Kafka on topics of the test's own; the processor runs as a child process;
// QuestDB's rows that carry something must equal `wattline compute` on the same readings and settings.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import {
  computeRows,
  config,
  type EnergyRows,
  fixtureEnv,
  startProcessor,
  stopProcessor,
  storedRows,
  waitForLateReadings,
  waitForRows,
} from "../../support/ledger.ts";
import {
  type DeviceFixture,
  FAST,
  type Point,
  readingsStored,
  send,
  withDevice,
} from "../../support/ledger-device.ts";
import { poll } from "./support.ts";

const run = promisify(execFile);
const pool = postgresPool(config, 2);
const questdb = questdbPool(config, 2);
const MIN = 60_000;
const DAY = 86_400_000;
/** The day the traces start on (minutes are counted from its 00:00Z). */
const day = Date.UTC(2024, 5, 4);

before(() => migrate(config));
after(() => Promise.all([pool.end(), questdb.end()]));

/** Produces the readings one at a time, a moment apart. */
async function sendEach(fx: DeviceFixture, points: Point[]): Promise<void> {
  for (const p of points) {
    await send(fx, [p], day);
    await sleep(300);
  }
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
  fx: DeviceFixture,
  beforeSilence: Point[],
  written: (days: { energy_wh: number; resets: number }[]) => boolean,
  rest: Point[],
): Promise<void> {
  await sendEach(fx, beforeSilence);
  const taken = await poll(
    () => readingsStored(questdb, fx.device.device_id),
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
async function setZone(fx: DeviceFixture, timezone: string): Promise<void> {
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
  await withDevice(pool, "ex", {}, async (fx) => {
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
  await withDevice(pool, "ex", { max_power_w: 1000 }, async (fx) => {
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
  await withDevice(pool, "ex", {}, async (fx) => {
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

test("a reading behind what a silent device's flush wrote, within the allowed lateness, is recalculated in", async () => {
  await withDevice(pool, "ex", {}, async (fx) => {
    // With two minutes of lateness, the flush writes 00:30 before the watermark passed it.
    const processor = startProcessor(fx, { ...FAST, WATTLINE_ALLOWED_LATENESS_MS: "120000" });
    try {
      await withSilence(
        fx,
        [
          [0, 50_000],
          [15, 50_100],
          [30, 50_200],
        ],
        (days) => days[0]?.energy_wh === 200,
        [[29, 50_190]],
      );
      assert.equal(await waitForLateReadings(fx, 1, 10_000), 1, "00:29 is taken as late");
      const expected = await computeRows(fx);
      assert.deepEqual(dayRows(expected), [[200, 0]]);
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

/**
 * Stores `sixHours` in UTC with a processor running, moves the device to Asia/Kolkata, then runs `afterEdit`
 * (given the UTC rows) and checks that exactly the new zone's rows are stored.
 */
async function afterZoneChange(
  afterEdit: (fx: DeviceFixture, utc: EnergyRows) => Promise<void>,
): Promise<void> {
  await withDevice(pool, "ex", {}, async (fx) => {
    const processor = startProcessor(fx, FAST);
    try {
      await send(fx, sixHours, day);
      const utc = await computeRows(fx);
      assert.deepEqual(await waitForRows(questdb, fx, utc, 30_000), utc, "stored in UTC first");
      await setZone(fx, "Asia/Kolkata");
      await afterEdit(fx, utc);
      const expected = await computeRows(fx);
      assert.notDeepEqual(expected, utc);
      assert.deepEqual(await waitForRows(questdb, fx, expected, 30_000), expected);
      assert.deepEqual(await utcHourRows(fx.device.device_id), [], "no UTC hour keeps energy");
    } finally {
      await stopProcessor(processor);
    }
  });
}

test("a zone change followed by a late reading leaves exactly the new zone's rows", async () => {
  await afterZoneChange(async (fx) => {
    await sleep(2000); // the processor hears of it (LISTEN/NOTIFY)
    await send(fx, [between], day); // later than the allowed lateness: a recalculation
    assert.equal(await waitForLateReadings(fx, 1, 10_000), 1, "the reading is taken as late");
  });
});

test("a zone change alone has the device's history recalculated in the new zone, which the stream goes on in", async () => {
  // No late reading, no replay: the processor hears of the edit (LISTEN/NOTIFY) and rebuilds the device.
  await afterZoneChange(async (fx, utc) => {
    const kolkata = await computeRows(fx);
    assert.deepEqual(await waitForRows(questdb, fx, kolkata, 30_000), kolkata, "recalculated");
    assert.notDeepEqual(kolkata, utc);
    await send(fx, [[125, 10_700]], day);
  });
});

test("a late reading newer than a snapshot is recalculated from it, reading only the input after it", async () => {
  await withDevice(pool, "sn", {}, async (fx) => {
    // At log level info: the recalculation's log line says which snapshot it started from and what it read.
    const processor = spawn("node", ["bin/wattline.js", "process", "ledger"], {
      env: { ...fixtureEnv(fx), ...FAST, WATTLINE_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const recalculated: { readings: number; snapshot: string | null }[] = [];
    createInterface({ input: processor.stdout }).on("line", (line) => {
      if (line.includes("device recalculated after late readings")) recalculated.push(JSON.parse(line));
    });
    try {
      await send(fx, sixHours, day);
      assert.equal(
        await poll(
          () => readingsStored(questdb, fx.device.device_id),
          (n) => n >= sixHours.length,
        ),
        sixHours.length,
      );
      // Between the last two readings (snapshots every 15 min of event time: the one at 01:45Z is older).
      await send(fx, [[112.5, 10_590]], day);
      assert.equal(await waitForLateReadings(fx, 1, 10_000), 1, "the reading is taken as late");
      const expected = await computeRows(fx);
      assert.deepEqual(await waitForRows(questdb, fx, expected, 30_000), expected);
      const [job] = await poll(
        async () => recalculated,
        (r) => r.length > 0,
      );
      assert.equal(job?.snapshot, new Date(day + 105 * MIN).toISOString(), "from the snapshot at 01:45Z");
      assert.ok((job?.readings ?? 99) <= 2, `it folds the inputs after the snapshot only: ${job?.readings}`);
    } finally {
      await stopProcessor(processor);
    }
  });
});

test("wattline replay after a zone change leaves exactly the new zone's rows", async () => {
  await withDevice(pool, "ex", {}, async (fx) => {
    const processor = startProcessor(fx, FAST);
    try {
      await send(fx, sixHours, day);
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
