// Every worked example of ENERGY_SEMANTICS.md, through the batch core and the printed rows.
import assert from "node:assert/strict";
import { test } from "node:test";
import { computeDevice } from "../../../pipelines/core/batch.ts";
import type { Reading } from "../../../pipelines/core/reading.ts";
import { anomalyRows, type DailyRow, energyRows, type HourlyRow } from "../../../pipelines/core/rows.ts";
import type { DeviceSettings } from "../../../pipelines/core/settings.ts";
import { at, settings } from "./helpers.ts";

interface Expected {
  hourly: Record<string, number>;
  daily: Record<string, { energy_wh: number; resets: number }>;
  anomalies?: string[];
}

function check(readings: Reading[], s: DeviceSettings, expected: Expected) {
  const result = computeDevice(readings, s);
  const rows = energyRows(result);
  const hourly = Object.fromEntries(
    rows.filter((r): r is HourlyRow => r.kind === "hourly").map((r) => [r.hour_start, r.energy_wh]),
  );
  const daily = Object.fromEntries(
    rows
      .filter((r): r is DailyRow => r.kind === "daily")
      .map((r) => [r.date, { energy_wh: r.energy_wh, resets: r.resets }]),
  );
  assert.deepEqual(hourly, expected.hourly);
  assert.deepEqual(daily, expected.daily);
  assert.deepEqual(
    anomalyRows(result).map((a) => a.type),
    expected.anomalies ?? [],
  );
  return result;
}

const h = (time: string) => `2025-01-01T${time}:00.000Z`;
const day = (energy_wh: number, resets = 0) => ({ "2025-01-01": { energy_wh, resets } });

test("00:00 100, 01:00 200 → hour 00:00Z: 100 Wh", () => {
  check([at("00:00", 100), at("01:00", 200)], settings(), { hourly: { [h("00:00")]: 100 }, daily: day(100) });
});

test("00:30 0, 01:30 60 → hours 00:00Z and 01:00Z: 30 Wh each", () => {
  check([at("00:30", 0), at("01:30", 60)], settings(), {
    hourly: { [h("00:00")]: 30, [h("01:00")]: 30 },
    daily: day(60),
  });
});

test("Asia/Kolkata: 00:00 0, 01:00 60 → buckets 23:30Z (previous UTC day, 05:00 local) and 00:30Z", () => {
  check([at("00:00", 0), at("01:00", 60)], settings({ timezone: "Asia/Kolkata" }), {
    hourly: { "2024-12-31T23:30:00.000Z": 30, [h("00:30")]: 30 },
    daily: day(60),
  });
});

test("00:00 0, 01:00 100, 02:00 5, 03:00 10 → 110 Wh, 1 reset at 02:00", () => {
  const result = check([at("00:00", 0), at("01:00", 100), at("02:00", 5), at("03:00", 10)], settings(), {
    hourly: { [h("00:00")]: 100, [h("01:00")]: 5, [h("02:00")]: 5 },
    daily: day(110, 1),
  });
  assert.equal(result.hourly.find((b) => b.resets > 0)?.hour_start, Date.parse(h("02:00")));
});

test("00:00 0, 01:00 100, 02:00 5 (last) → 105 Wh, 1 reset: a suspect at the end is applied", () => {
  check([at("00:00", 0), at("01:00", 100), at("02:00", 5)], settings(), {
    hourly: { [h("00:00")]: 100, [h("01:00")]: 5 },
    daily: day(105, 1),
  });
});

test("00:00 0, 01:00 100, 02:00 0, 03:00 102 → 102 Wh, 0 resets: the zero was a glitch", () => {
  check([at("00:00", 0), at("01:00", 100), at("02:00", 0), at("03:00", 102)], settings(), {
    hourly: { [h("00:00")]: 100, [h("01:00")]: 1, [h("02:00")]: 1 },
    daily: day(102),
    anomalies: ["glitch_dropped"],
  });
});

test("00:00 0, 01:00 100, 02:00 99.5, 03:00 101 → 101 Wh: the dip is noise, its recovery is not energy", () => {
  check([at("00:00", 0), at("01:00", 100), at("02:00", 99.5), at("03:00", 101)], settings(), {
    hourly: { [h("00:00")]: 100, [h("01:00")]: 0, [h("02:00")]: 1 },
    daily: day(101),
  });
});

test("max 1000 W; 00:00 0, 00:01 10, 00:02 1e6, 00:03 20 → 20 Wh: the spike was a glitch", () => {
  check(
    [at("00:00", 0), at("00:01", 10), at("00:02", 1e6), at("00:03", 20)],
    settings({ max_power_w: 1000 }),
    {
      hourly: { [h("00:00")]: 20 },
      daily: day(20),
      anomalies: ["glitch_dropped"],
    },
  );
});

test("max 1000 W; 00:00 0, 00:01 10, 00:02 1e6, 00:03 1e6+5 → 1e6+5 Wh and an implausible_jump", () => {
  const result = check(
    [at("00:00", 0), at("00:01", 10), at("00:02", 1e6), at("00:03", 1e6 + 5)],
    settings({ max_power_w: 1000 }),
    { hourly: { [h("00:00")]: 1e6 + 5 }, daily: day(1e6 + 5), anomalies: ["implausible_jump"] },
  );
  assert.equal(result.hourly[0]?.confidence, "low");
});

test("00:00 0 b1, 01:00 100 b1, 02:00 150 b2, 03:00 160 b2 → 260 Wh, 1 reset: the counter restarted", () => {
  const readings = [
    at("00:00", 0, "b1"),
    at("01:00", 100, "b1"),
    at("02:00", 150, "b2"),
    at("03:00", 160, "b2"),
  ];
  check(readings, settings(), {
    hourly: { [h("00:00")]: 100, [h("01:00")]: 150, [h("02:00")]: 10 },
    daily: day(260, 1),
  });
});

test("the same with counter_persists_across_boot → 160 Wh, no reset", () => {
  const readings = [
    at("00:00", 0, "b1"),
    at("01:00", 100, "b1"),
    at("02:00", 150, "b2"),
    at("03:00", 160, "b2"),
  ];
  check(readings, settings({ counter_persists_across_boot: true }), {
    hourly: { [h("00:00")]: 100, [h("01:00")]: 50, [h("02:00")]: 10 },
    daily: day(160),
  });
});

test("Europe/Berlin: 2025-03-29 23:00 0, 2025-03-30 03:00 400 → four buckets of 100 Wh, 2025-03-30 has 400 Wh", () => {
  const readings = [at("2025-03-29T23:00:00Z", 0), at("2025-03-30T03:00:00Z", 400)];
  const result = check(readings, settings({ timezone: "Europe/Berlin" }), {
    hourly: {
      "2025-03-29T23:00:00.000Z": 100,
      "2025-03-30T00:00:00.000Z": 100,
      "2025-03-30T01:00:00.000Z": 100,
      "2025-03-30T02:00:00.000Z": 100,
    },
    daily: { "2025-03-30": { energy_wh: 400, resets: 0 } },
  });
  assert.equal(result.daily[0]?.hours, 4);
});

test("00:00 0, 01:00 50, 01:00 70 (received later) → 50 Wh: the second 01:00 reading is a duplicate", () => {
  const result = check([at("00:00", 0), at("01:00", 50), at("01:00", 70)], settings(), {
    hourly: { [h("00:00")]: 50 },
    daily: day(50),
  });
  assert.equal(result.daily[0]?.duplicates, 1);
});
