import assert from "node:assert/strict";
import { test } from "node:test";
import { parseReading, parseReadingLine, parseTimestamp } from "../../../pipelines/core/reading.ts";

test("ts: ISO-8601 with Z or an offset, or epoch milliseconds", () => {
  const t = Date.parse("2025-03-30T01:00:00Z");
  assert.equal(parseTimestamp("2025-03-30T01:00:00Z"), t);
  assert.equal(parseTimestamp("2025-03-30T01:00:00.000Z"), t);
  assert.equal(parseTimestamp("2025-03-30T01:00Z"), t);
  assert.equal(parseTimestamp("2025-03-30t01:00:00z"), t);
  assert.equal(parseTimestamp("2025-03-30 01:00:00Z"), t);
  assert.equal(parseTimestamp("2025-03-30T06:30:00+05:30"), t);
  assert.equal(parseTimestamp("2025-03-30T06:30:00+0530"), t);
  assert.equal(parseTimestamp("2025-03-30T03:00:00+02"), t);
  assert.equal(parseTimestamp("2025-03-29T21:30:00-03:30"), t);
  assert.equal(parseTimestamp("2025-03-30T01:00:00.123456Z"), t + 123);
  assert.equal(parseTimestamp("2025-03-30T01:00:00,5Z"), t + 500);
  assert.equal(parseTimestamp("2024-02-29T00:00:00Z"), Date.parse("2024-02-29T00:00:00Z"));
  assert.equal(parseTimestamp("0050-01-01T00:00:00Z"), Date.parse("0050-01-01T00:00:00Z"));
  assert.equal(parseTimestamp(t), t);
  assert.equal(parseTimestamp(-1), -1);
});

test("ts: rejected without an offset, out of range or in another format", () => {
  for (const bad of ["2025-03-30T01:00:00", "2025-03-30T01:00:00.5"]) {
    assert.match(String(parseTimestamp(bad)), /no time-zone offset/);
  }
  for (const bad of [
    "2025-02-29T00:00:00Z",
    "2025-13-01T00:00:00Z",
    "2025-03-30T24:00:00Z",
    "2025-03-30T01:00:60Z",
  ]) {
    assert.match(String(parseTimestamp(bad)), /out of range/, bad);
  }
  for (const bad of [
    "2025-03-30",
    "30/03/2025 01:00Z",
    "2025-03-30T01:00:00.Z",
    "2025-03-30T01:00:00Zx",
    "",
    "x",
  ]) {
    assert.match(String(parseTimestamp(bad)), /not an ISO-8601/, bad);
  }
  assert.equal(typeof parseTimestamp("2025-03-30T01:00:00+5:30"), "string");
  assert.equal(typeof parseTimestamp(Number.NaN), "string");
  assert.equal(typeof parseTimestamp(1e300), "string");
  assert.equal(typeof parseTimestamp("1743296400000"), "string");
  assert.equal(typeof parseTimestamp(null), "string");
});

test("a valid reading keeps its optional fields; null optional fields count as absent", () => {
  assert.deepEqual(
    parseReadingLine('{"device_id":"m1","ts":0,"energy_wh_total":0,"power_w":5,"boot_id":"b","seq":3,"x":1}'),
    { device_id: "m1", ts: 0, energy_wh_total: 0, power_w: 5, boot_id: "b", seq: 3 },
  );
  assert.deepEqual(
    parseReading({ device_id: "m1", ts: 0, energy_wh_total: 1.5, boot_id: null, power_w: null }),
    {
      device_id: "m1",
      ts: 0,
      energy_wh_total: 1.5,
    },
  );
});

test("invalid readings are rejected with the field and the rule", () => {
  const cases: Array<[string, RegExp]> = [
    ["not json", /not valid JSON/],
    ["[1,2]", /not a JSON object/],
    ["null", /not a JSON object/],
    ['{"ts":0,"energy_wh_total":1}', /device_id: missing/],
    ['{"device_id":"","ts":0,"energy_wh_total":1}', /device_id: must be a non-empty string/],
    ['{"device_id":7,"ts":0,"energy_wh_total":1}', /device_id/],
    ['{"device_id":"m","energy_wh_total":1}', /ts: missing/],
    ['{"device_id":"m","ts":"2025-01-01T00:00:00","energy_wh_total":1}', /ts: no time-zone offset/],
    ['{"device_id":"m","ts":true,"energy_wh_total":1}', /ts: must be/],
    ['{"device_id":"m","ts":0}', /energy_wh_total: missing/],
    ['{"device_id":"m","ts":0,"energy_wh_total":"5"}', /energy_wh_total: must be a number/],
    ['{"device_id":"m","ts":0,"energy_wh_total":-0.1}', /energy_wh_total: must not be negative/],
    ['{"device_id":"m","ts":0,"energy_wh_total":1e999}', /energy_wh_total: must be finite/],
    ['{"device_id":"m","ts":0,"energy_wh_total":1,"power_w":"3"}', /power_w/],
    ['{"device_id":"m","ts":0,"energy_wh_total":1,"boot_id":4}', /boot_id/],
    ['{"device_id":"m","ts":0,"energy_wh_total":1,"seq":1.5}', /seq/],
  ];
  for (const [line, reason] of cases) assert.match(String(parseReadingLine(line)), reason, line);
});
