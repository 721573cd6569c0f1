import assert from "node:assert/strict";
import { test } from "node:test";
import type { Reading } from "../../../pipelines/core/reading.ts";
import {
  advanceClock,
  drain,
  emptyReorder,
  heldInputs,
  insertReading,
  type ReorderState,
} from "../../../pipelines/core/reorder.ts";
import type { DeviceInput } from "../../../pipelines/core/replacement.ts";
import { at, swap } from "./helpers.ts";

const L = 120_000;
const times = (rs: readonly DeviceInput[]) => rs.map((r) => new Date(r.ts).toISOString().slice(11, 16));

function feed(readings: Reading[]) {
  let state: ReorderState = emptyReorder;
  const released: DeviceInput[] = [];
  const arrivals: string[] = [];
  for (const r of readings) {
    const step = insertReading(state, r, L);
    state = step.state;
    released.push(...step.released);
    arrivals.push(step.arrival);
  }
  return { state, released, arrivals };
}

test("releases in ts order once the newest reading is more than the allowed lateness ahead", () => {
  const { state, released, arrivals } = feed([
    at("00:01", 1),
    at("00:00", 0),
    at("00:02", 2),
    at("00:04", 4),
  ]);
  assert.deepEqual(arrivals, ["accepted", "accepted", "accepted", "accepted"]);
  assert.deepEqual(times(released), ["00:00", "00:01"]);
  assert.deepEqual(times(heldInputs(state.buffer)), ["00:02", "00:04"]);
  assert.equal(state.released, at("00:01", 0).ts);
});

test("a reading exactly the allowed lateness behind is accepted; one more is late", () => {
  assert.deepEqual(feed([at("00:05", 5), at("00:03", 3)]).arrivals, ["accepted", "accepted"]);
  const late = feed([at("00:05", 5), at("00:02", 2)]);
  assert.deepEqual(late.arrivals, ["accepted", "late"]);
  assert.deepEqual(times(heldInputs(late.state.buffer)), ["00:05"]);
});

test("a ts already held or released is a duplicate, the first received counts", () => {
  const { state, arrivals, released } = feed([
    at("00:00", 0),
    at("00:00", 9),
    at("00:05", 5),
    at("00:00", 7),
  ]);
  assert.deepEqual(arrivals, ["accepted", "duplicate", "accepted", "duplicate"]);
  assert.deepEqual(
    released.map((r) => (r as Reading).energy_wh_total),
    [0],
  );
  assert.deepEqual(times(heldInputs(state.buffer)), ["00:05"]);
});

test("advancing the clock releases what it passes; drain releases everything", () => {
  const { state } = feed([at("00:00", 0), at("00:01", 1)]);
  const advanced = advanceClock(state, at("00:02", 0).ts + 30_000, L);
  assert.deepEqual(times(advanced.released), ["00:00"]);
  assert.equal(advanced.state.clock, at("00:02", 0).ts + 30_000);
  assert.deepEqual(advanceClock(advanced.state, 0, L).released, []);
  const drained = drain(advanced.state);
  assert.deepEqual(times(drained.released), ["00:01"]);
  assert.deepEqual(heldInputs(drained.state.buffer), []);
});

test("after a drain, an input at or behind the last released one is late, not folded out of order", () => {
  // A silent device's buffer is drained ahead of the watermark: 00:05 is released while 00:04 is not yet late.
  const drained = drain(feed([at("00:05", 5)]).state).state;
  const arrivals = [at("00:04", 4), at("00:05", 7), swap("00:05", 6), at("00:06", 6)].map(
    (r) => insertReading(drained, r, L).arrival,
  );
  assert.deepEqual(arrivals, ["late", "duplicate", "late", "accepted"]);
});

test("a store keeps at most about twice what it holds: released inputs do not pile up in memory", () => {
  // One reading a second for an hour with 120 s of lateness: 120 held at a time, 3,480 released.
  let state: ReorderState = emptyReorder;
  let largest = 0;
  for (let s = 0; s < 3600; s++) {
    state = insertReading(state, { device_id: "d", ts: s * 1000, energy_wh_total: s }, L).state;
    largest = Math.max(largest, state.buffer.store.length);
  }
  assert.equal(heldInputs(state.buffer).length, 121);
  assert.ok(largest <= 2 * 121 + 1, `a store grew to ${largest} inputs`);
});
