import assert from "node:assert/strict";
import { test } from "node:test";
import { computeDevice } from "../../../pipelines/core/batch.ts";
import { anomalyRows, energyRows, roundWh } from "../../../pipelines/core/rows.ts";
import { at, settings } from "./helpers.ts";

test("printed energy is rounded to 1e-6 Wh and never -0", () => {
  assert.equal(roundWh(29.999999999999996), 30);
  assert.equal(roundWh(0.1 + 0.2), 0.3);
  assert.equal(roundWh(1.0000004), 1);
  assert.equal(roundWh(1.0000006), 1.000001);
  assert.ok(Object.is(roundWh(-1e-12), 0));
});

test("rows: hourly then daily, in time order, with their counts; anomalies apart", () => {
  const result = computeDevice(
    [at("00:00", 0), at("00:01", 10), at("00:01", 11), at("00:02", 1e6), at("00:03", 20)],
    settings({ max_power_w: 1000 }),
  );
  assert.deepEqual(energyRows(result), [
    {
      kind: "hourly",
      device_id: "dev-1",
      hour_start: "2025-01-01T00:00:00.000Z",
      energy_wh: 20,
      confidence: "high",
      readings: 4,
      duplicates: 1,
      resets: 0,
      replacements: 0,
      anomalies: 1,
    },
    {
      kind: "daily",
      device_id: "dev-1",
      date: "2025-01-01",
      energy_wh: 20,
      resets: 0,
      replacements: 0,
      confidence: "high",
      hours: 1,
      readings: 4,
      duplicates: 1,
      anomalies: 1,
    },
  ]);
  assert.deepEqual(anomalyRows(result), [
    {
      kind: "anomaly",
      device_id: "dev-1",
      ts: "2025-01-01T00:02:00.000Z",
      type: "glitch_dropped",
      energy_wh_total: 1e6,
    },
  ]);
});
