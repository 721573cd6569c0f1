import assert from "node:assert/strict";
import { test } from "node:test";
import { computeDevice } from "../../../pipelines/core/batch.ts";
import { zoneClock } from "../../../pipelines/core/hours.ts";
import { bucketDeltas, emptyBucket, mergeBucket, rollupDays } from "../../../pipelines/core/rollup.ts";
import { at, settings } from "./helpers.ts";

test("a ledger entry becomes one delta per hour it overlaps, plus its reset at the reading's hour", () => {
  const deltas = bucketDeltas(
    {
      kind: "ledger",
      device_id: "d",
      from: at("00:30", 0).ts,
      to: at("02:00", 0).ts,
      delta_wh: 30,
      classification: "reset",
      confidence: "low",
    },
    zoneClock("UTC"),
  );
  assert.deepEqual(
    deltas.map((d) => [
      new Date(d.hour_start).toISOString().slice(11, 16),
      d.energy_wh,
      d.intervals,
      d.resets,
    ]),
    [
      ["00:00", 10, 1, 0],
      ["01:00", 20, 1, 0],
      ["02:00", 0, 0, 1],
    ],
  );
});

test("mergeBucket adds counts and keeps the lowest confidence, without touching its inputs", () => {
  const a = { ...emptyBucket(0), energy_wh: 1, intervals: 1, readings: 2, confidence: "high" as const };
  const b = {
    ...emptyBucket(0),
    energy_wh: 2,
    intervals: 1,
    duplicates: 1,
    replacements: 1,
    anomalies: 1,
    confidence: "medium" as const,
  };
  const frozenA = structuredClone(a);
  assert.deepEqual(mergeBucket(a, b), {
    hour_start: 0,
    energy_wh: 3,
    intervals: 2,
    readings: 2,
    duplicates: 1,
    resets: 0,
    replacements: 1,
    anomalies: 1,
    confidence: "medium",
  });
  assert.deepEqual(a, frozenA);
  assert.equal(mergeBucket(undefined, b), b);
});

test("a day with a reset but no energy hour is still reported", () => {
  // The reset reading is at local midnight: its interval lies in the previous day, the reset counts on the new one.
  const result = computeDevice([at("2025-01-01T23:00:00Z", 100), at("2025-01-02T00:00:00Z", 5)], settings());
  assert.deepEqual(
    result.daily.map((d) => [d.date, d.energy_wh, d.resets, d.hours, d.confidence]),
    [
      ["2025-01-01", 5, 0, 1, "low"],
      ["2025-01-02", 0, 1, 0, null],
    ],
  );
});

test("resets count on the local date of the reading's ts", () => {
  // Asia/Kolkata: 18:40Z is 00:10 local on the next day; the reset's interval straddles local midnight.
  const result = computeDevice(
    [at("2025-01-01T18:00:00Z", 0), at("2025-01-01T18:20:00Z", 100), at("2025-01-01T18:40:00Z", 5)],
    settings({ timezone: "Asia/Kolkata" }),
  );
  assert.deepEqual(
    result.daily.map((d) => [d.date, d.energy_wh, d.resets]),
    [
      ["2025-01-01", 102.5, 0],
      ["2025-01-02", 2.5, 1],
    ],
  );
});

test("rollupDays groups buckets by the local date of their start and sums them", () => {
  const clock = zoneClock("Europe/Berlin");
  const days = rollupDays(
    [
      { ...emptyBucket(Date.parse("2025-03-29T22:00:00Z")), energy_wh: 1, intervals: 1, confidence: "high" },
      { ...emptyBucket(Date.parse("2025-03-29T23:00:00Z")), energy_wh: 2, intervals: 1, confidence: "low" },
      { ...emptyBucket(Date.parse("2025-03-30T01:00:00Z")), energy_wh: 3, intervals: 1, confidence: "high" },
      { ...emptyBucket(Date.parse("2025-03-30T02:00:00Z")), readings: 4 },
    ],
    clock,
  );
  assert.deepEqual(
    days.map((d) => [d.date, d.energy_wh, d.hours, d.readings, d.confidence]),
    [
      ["2025-03-29", 1, 1, 0, "high"],
      ["2025-03-30", 5, 2, 4, "low"],
    ],
  );
});
