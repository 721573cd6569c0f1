// Meter replacements through the real stack: readings and replacement events produced as Avro to a device's
// telemetry topic, the ledger processor as a child process, and QuestDB's hourly and daily rows (replacements
// counted) equal to `wattline compute` on the same readings and events, also when the processor is killed -9.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import {
  config,
  fixtureEnv,
  startProcessor,
  stopProcessor,
  waitForLateReadings,
} from "../../support/ledger.ts";
import {
  computeWithReplacements,
  type DeviceFixture,
  type DeviceSpec,
  FAST,
  type Input,
  type Point,
  readingsStored,
  type Swap,
  send,
  waitForReplacementRows,
  withDevice,
  withDevices,
} from "../../support/ledger-device.ts";
import { poll } from "./support.ts";

const pool = postgresPool(config, 2);
const questdb = questdbPool(config, 2);
const run = promisify(execFile);
const DAY = 86_400_000;
/** The day the traces start on (minutes are counted from its 00:00Z). */
const day = Date.UTC(2024, 5, 4);

before(() => migrate(config));
after(() => Promise.all([pool.end(), questdb.end()]));

/** Readings every 15 minutes from `from` to `to` (inclusive), the counter rising 100 Wh each from `start`. */
const steady = (from: number, to: number, start: number): Point[] =>
  Array.from({ length: Math.floor((to - from) / 15) + 1 }, (_, i) => [from + 15 * i, start + 100 * i]);

interface Trace {
  name: string;
  settings?: Partial<DeviceSpec>;
  inputs: Input[];
  /** What the batch must say of the day, as "date energy resets replacements": the trace means what it says. */
  day: string;
}

const traces: Trace[] = [
  {
    name: "a final value and a new counter from 0",
    inputs: [...steady(0, 60, 50_000), { swap: 70, final: 50_450, start: 0 }, ...steady(75, 105, 50)],
    day: "2024-06-04 700 0 1",
  },
  {
    name: "no final value and a new counter not from 0",
    inputs: [...steady(0, 60, 50_000), { swap: 70, final: null, start: 1000 }, ...steady(75, 105, 1050)],
    day: "2024-06-04 650 0 1",
  },
  {
    name: "a glitch to 0 just before the swap",
    inputs: [
      ...steady(0, 45, 50_000),
      [60, 0],
      { swap: 65, final: 50_350, start: 0 },
      ...steady(75, 105, 20),
    ],
    day: "2024-06-04 570 0 1",
  },
  {
    name: "a spike past the max power just before the swap",
    settings: { max_power_w: 1000 },
    inputs: [
      ...steady(0, 45, 50_000),
      [60, 1e7],
      { swap: 65, final: 50_350, start: 0 },
      ...steady(75, 105, 20),
    ],
    day: "2024-06-04 570 0 1",
  },
  {
    name: "a swap at the same instant as a reading",
    inputs: [...steady(0, 60, 50_000), { swap: 60, final: 50_410, start: 0 }, ...steady(75, 105, 30)],
    day: "2024-06-04 640 0 1",
  },
  {
    name: "a swap at the same instant as a reading, the event received first",
    inputs: [
      ...steady(0, 45, 50_000),
      { swap: 60, final: 50_410, start: 0 },
      [60, 50_400],
      ...steady(75, 105, 30),
    ],
    day: "2024-06-04 640 0 1",
  },
  {
    name: "a swap before the first reading",
    inputs: [{ swap: 5, final: null, start: 0 }, ...steady(10, 70, 20)],
    day: "2024-06-04 420 0 1",
  },
  {
    name: "a swap before the first reading, received after the readings",
    inputs: [...steady(10, 70, 20), { swap: 5, final: null, start: 0 }],
    day: "2024-06-04 420 0 1",
  },
  {
    name: "two swaps at one instant: the first counts",
    inputs: [
      ...steady(0, 60, 50_000),
      { swap: 70, final: 50_450, start: 0 },
      { swap: 70, final: 50_500, start: 30 },
      ...steady(75, 105, 50),
    ],
    day: "2024-06-04 700 0 1",
  },
];

test("stream = batch on traces with replacements (a device each, one processor)", async () => {
  await withDevices(
    pool,
    "rp",
    traces.map((t) => t.settings ?? {}),
    async (fx) => {
      const processor = startProcessor(fx, FAST);
      try {
        for (const [i, trace] of traces.entries()) {
          await send(fx, trace.inputs, day, fx.devices[i]?.device_id);
        }
        const expected = await computeWithReplacements(fx);
        const days = traces.map((t, i) => `${fx.devices[i]?.device_id} ${t.day} (${t.name})`);
        const batch = expected.daily.map((l, i) => `${l} (${traces[i]?.name})`);
        assert.deepEqual(batch, days, "the batch's days");
        assert.deepEqual(await waitForReplacementRows(questdb, fx, expected, 60_000), expected);
        // Analysts' tables: each device's first swap at its instant, and an interval ending at each final value.
        const swaps = traces.map((t) => t.inputs.find((x) => !Array.isArray(x)) as Swap);
        const expectedSwaps = {
          events: swaps
            .map(
              (w, i) =>
                `${fx.devices[i]?.device_id} ${new Date(day + w.swap * 60_000).toISOString()} ${w.final} ${w.start}`,
            )
            .sort(),
          endedByFinal: swaps.filter((w) => w.final !== null).length,
        };
        const same = (x: unknown) => JSON.stringify(x) === JSON.stringify(expectedSwaps);
        assert.deepEqual(await poll(() => storedSwaps(fx), same), expectedSwaps);
      } finally {
        await stopProcessor(processor);
      }
    },
  );
});

/** The fixture's `meter_replacements` rows as comparable lines, and how many `ledger` intervals end at a final value. */
async function storedSwaps(fx: DeviceFixture): Promise<{ events: string[]; endedByFinal: number }> {
  const ids = fx.devices.map((d) => d.device_id);
  const list = ids.map((_, i) => `$${i + 1}`).join(",");
  const events = await questdb.query<{ id: string; ts: Date; final: number | null; start: number }>(
    `SELECT device_id id, ts, old_final_wh_total final, new_initial_wh_total start FROM meter_replacements
     WHERE device_id IN (${list})`,
    ids,
  );
  const ended = await questdb.query<{ n: string }>(
    `SELECT count() n FROM ledger WHERE ended_by = 'replacement' AND device_id IN (${list})`,
    ids,
  );
  return {
    events: events.rows.map((r) => `${r.id} ${r.ts.toISOString()} ${r.final} ${r.start}`).sort(),
    endedByFinal: Number(ended.rows[0]?.n ?? 0),
  };
}

/** Sends `inputs` and waits until the processor has stored `readings` readings of the device in all. */
async function sendTaken(fx: DeviceFixture, inputs: Input[], readings: number): Promise<void> {
  await send(fx, inputs, day);
  const taken = await poll(
    () => readingsStored(questdb, fx.device.device_id),
    (n) => n >= readings,
  );
  assert.equal(taken, readings, "the processor took the readings in");
}

test("stream = batch with replacements when the processor is killed -9 around them", async () => {
  await withDevice(pool, "rk", {}, async (fx) => {
    let processor = startProcessor(fx, FAST);
    try {
      await sendTaken(fx, [...steady(0, 60, 50_000), [65, 0]], 6);
      // Killed with a suspect held, just after the swap that judges it.
      await send(fx, [{ swap: 70, final: 50_450, start: 0 }], day);
      await stopProcessor(processor, "SIGKILL");
      // Inputs that arrive while it is down; one more swap without a final value, to a counter not from 0.
      await send(
        fx,
        [...steady(75, 120, 50), { swap: 130, final: null, start: 7000 }, ...steady(135, 240, 7050)],
        day,
      );
      processor = startProcessor(fx, FAST);
      const expected = await computeWithReplacements(fx);
      assert.deepEqual(expected.daily, [`${fx.device.device_id} 2024-06-04 1550 0 2`], "the batch's day");
      assert.deepEqual(await waitForReplacementRows(questdb, fx, expected, 90_000), expected);
    } finally {
      await stopProcessor(processor);
    }
  });
});

test("a late replacement whose recalculation is cut by kill -9 is recalculated after the restart", async () => {
  await withDevice(pool, "rl", {}, async (fx) => {
    let processor = startProcessor(fx, { ...FAST, WATTLINE_RECALC_MIN_INTERVAL_MS: "3000" });
    try {
      await sendTaken(fx, [...steady(0, 60, 50_000), ...steady(75, 120, 40)], 9);
      await send(fx, [{ swap: 65, final: 50_450, start: 0 }], day);
      // Taken as late, its recalculation due in 3 s: killed before it runs.
      assert.equal(await waitForLateReadings(fx, 1, 10_000), 1, "the event is taken as late");
      await stopProcessor(processor, "SIGKILL");
      processor = startProcessor(fx, FAST);
      const expected = await computeWithReplacements(fx);
      assert.deepEqual(expected.daily, [`${fx.device.device_id} 2024-06-04 790 0 1`], "the batch's day");
      assert.deepEqual(await waitForReplacementRows(questdb, fx, expected, 90_000), expected);
    } finally {
      await stopProcessor(processor);
    }
  });
});

test("wattline replay with replacements writes the rows of wattline compute", async () => {
  await withDevice(pool, "rr", {}, async (fx) => {
    // Two swaps at one instant, then one more without a final value.
    const inputs = traces.find((t) => t.name.startsWith("two swaps"))?.inputs ?? [];
    await send(fx, [...inputs, { swap: 130, final: null, start: 7000 }, ...steady(135, 180, 7050)], day);
    const range = ["--from", new Date(day - DAY).toISOString(), "--to", new Date(day + DAY).toISOString()];
    await run("node", ["bin/wattline.js", "replay", ...range, "--device", fx.device.device_id], {
      env: { ...fixtureEnv(fx), ...FAST },
    });
    const expected = await computeWithReplacements(fx);
    assert.deepEqual(expected.daily, [`${fx.device.device_id} 2024-06-04 1050 0 2`], "the batch's day");
    assert.deepEqual(await waitForReplacementRows(questdb, fx, expected, 20_000), expected);
  });
});
