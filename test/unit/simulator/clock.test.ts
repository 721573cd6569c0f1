import assert from "node:assert/strict";
import { test } from "node:test";
import { localTime } from "../../../connectors/simulator/clock.ts";

test("clock: local hour follows daylight saving; the solar hour does not", () => {
  const before = localTime(Date.parse("2025-03-30T00:30:00Z"), "Europe/Berlin");
  assert.equal(before.hour, 1.5);
  assert.equal(before.solarHour, 1.5);
  const after = localTime(Date.parse("2025-03-30T01:30:00Z"), "Europe/Berlin");
  assert.equal(after.hour, 3.5);
  assert.equal(after.solarHour, 2.5);
});

test("clock: half-hour zones, weekdays and the day of the year are local", () => {
  const t = localTime(Date.parse("2024-12-31T20:00:00Z"), "Asia/Kolkata"); // 2025-01-01 01:30 IST, a Wednesday
  assert.equal(t.hour, 1.5);
  assert.equal(t.dayOfYear, 1);
  assert.equal(t.weekday, 3);
  assert.equal(localTime(Date.parse("2025-06-21T12:00:00Z"), "UTC").weekday, 6);
});
