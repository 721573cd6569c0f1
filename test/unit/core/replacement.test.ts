// Meter replacements: parsing, their place among readings, and what the fold does at one instant.
import assert from "node:assert/strict";
import { test } from "node:test";
import { computeDevice } from "../../../pipelines/core/batch.ts";
import { initialDeviceState } from "../../../pipelines/core/device-state.ts";
import { processInput } from "../../../pipelines/core/process.ts";
import { orderInputs, parseInputLine } from "../../../pipelines/core/replacement.ts";
import { at, settings, swap } from "./helpers.ts";

test("an event line parses by its kind; a missing or wrong field is invalid with its reason", () => {
  assert.deepEqual(
    parseInputLine(
      '{"kind":"meter_replacement","device_id":"m1","ts":"2025-01-01T01:30:00Z","old_final_wh_total":130}',
    ),
    {
      kind: "meter_replacement",
      device_id: "m1",
      ts: Date.parse("2025-01-01T01:30:00Z"),
      old_final_wh_total: 130,
      new_initial_wh_total: 0,
    },
  );
  const reason = (line: string) => parseInputLine(line);
  assert.equal(reason('{"kind":"meter_replacement","ts":0}'), "device_id: missing");
  assert.equal(reason('{"kind":"meter_replacement","device_id":"m1"}'), "ts: missing");
  assert.equal(
    reason('{"kind":"meter_replacement","device_id":"m1","ts":"2025-01-01T01:30:00"}'),
    "ts: no time-zone offset (add Z or ±hh:mm)",
  );
  assert.equal(
    reason('{"kind":"meter_replacement","device_id":"m1","ts":0,"old_final_wh_total":-1}'),
    "old_final_wh_total: must not be negative",
  );
  assert.equal(
    reason('{"kind":"meter_replacement","device_id":"m1","ts":0,"new_initial_wh_total":"5"}'),
    "new_initial_wh_total: must be a number",
  );
  assert.equal(typeof reason('{"device_id":"m1","ts":0,"energy_wh_total":1}'), "object");
});

test("a reading at an event's instant comes before it; of two events at one instant the first received counts", () => {
  const ordered = orderInputs([swap("01:00", 104), at("01:00", 100), swap("01:00", 7, 9), at("00:00", 0)]);
  assert.deepEqual(ordered, [at("00:00", 0), at("01:00", 100), swap("01:00", 104), swap("01:00", 7, 9)]);
  const day = computeDevice(ordered, settings()).daily[0];
  assert.deepEqual([day?.energy_wh, day?.replacements, day?.duplicates], [104, 1, 1]);
});

test("folded after the event at its instant, a reading is late: it belonged to the old counter", () => {
  const s = settings();
  let state = processInput(initialDeviceState, at("00:00", 0), s).state;
  state = processInput(state, swap("01:00", 50), s).state;
  assert.deepEqual(processInput(state, at("01:00", 60), s).outputs, [
    { kind: "late", input: at("01:00", 60) },
  ]);
  assert.deepEqual(processInput(state, swap("00:30", 20), s).outputs, [
    { kind: "late", input: swap("00:30", 20) },
  ]);
});

test("a spike just before a swap is a glitch when the final value continues the counter", () => {
  const s = settings({ max_power_w: 1000 });
  const result = computeDevice([at("00:00", 0), at("00:01", 10), at("00:02", 1e6), swap("00:03", 20)], s);
  assert.equal(result.daily[0]?.energy_wh, 20);
  assert.deepEqual(
    result.anomalies.map((a) => a.type),
    ["glitch_dropped"],
  );
});
