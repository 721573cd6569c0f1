import assert from "node:assert/strict";
import { test } from "node:test";
import { initialDeviceState } from "../../../pipelines/core/device-state.ts";
import { flushPending, processReading } from "../../../pipelines/core/process.ts";
import { at, foldAll, ledgerOf, settings, sum } from "./helpers.ts";

const energy = (readings: Parameters<typeof foldAll>[0], s = settings()) =>
  sum(ledgerOf(foldAll(readings, s)).map((e) => e.delta_wh));
const resets = (readings: Parameters<typeof foldAll>[0], s = settings()) =>
  ledgerOf(foldAll(readings, s)).filter((e) => e.classification === "reset").length;

test("the first reading is the baseline: no energy", () => {
  const step = processReading(initialDeviceState, at("00:00", 500, "b1"), settings());
  assert.deepEqual(step.state, {
    last: at("00:00", 500, "b1"),
    hw: 500,
    boot: "b1",
    pending: null,
    replaced: false,
  });
  assert.deepEqual(
    step.outputs.map((o) => o.kind),
    ["reading"],
  );
});

test("a suspect changes nothing until the next reading decides", () => {
  const s = settings();
  const before = processReading(
    processReading(initialDeviceState, at("00:00", 0, "b1"), s).state,
    at("01:00", 100, "b1"),
    s,
  ).state;
  const step = processReading(before, at("02:00", 5), s);
  assert.deepEqual(step.state, { ...before, pending: { reading: at("02:00", 5), classification: "reset" } });
  assert.deepEqual(
    step.outputs.map((o) => o.kind),
    ["reading"],
  );
});

test("the glitch rule's jump test measures hours from the reading before the suspect", () => {
  // 600 Wh in 40 min is plausible at 1000 W (limit 734 Wh), in the 10 min since the suspect it would not be (184 Wh).
  const s = settings({ max_power_w: 1000 });
  const outputs = foldAll([at("00:00", 0), at("00:30", 1e6), at("00:40", 600)], s);
  assert.deepEqual(
    ledgerOf(outputs).map((e) => [e.from, e.to, e.delta_wh, e.classification]),
    [[at("00:00", 0).ts, at("00:40", 0).ts, 600, "normal"]],
  );
  assert.deepEqual(
    outputs.filter((o) => o.kind === "anomaly").map((o) => o.kind === "anomaly" && o.type),
    ["glitch_dropped"],
  );
});

test("a confirmed suspect is applied, then the next reading is classified against the new state", () => {
  // 02:00 5 is a reset; 03:00 2 is a reset against both the old state and the new one (hw 5), and ends the batch.
  const readings = [at("00:00", 0), at("01:00", 100), at("02:00", 5), at("03:00", 2)];
  assert.equal(energy(readings), 107);
  assert.equal(resets(readings), 2);
});

test("a reset forgets the boot; the next reading's boot id is learnt without a second reset", () => {
  const readings = [
    at("00:00", 0, "b1"),
    at("01:00", 100, "b1"),
    at("02:00", 5),
    at("03:00", 10),
    at("04:00", 20, "b2"),
  ];
  assert.equal(energy(readings), 120);
  assert.equal(resets(readings), 1);
});

test("a flat reading moves last and boot but not the high-water mark", () => {
  const s = settings();
  let state = processReading(initialDeviceState, at("00:00", 100, "b1"), s).state;
  const step = processReading(state, at("01:00", 99.5, "b1"), s);
  state = step.state;
  assert.deepEqual(state, {
    last: at("01:00", 99.5, "b1"),
    hw: 100,
    boot: "b1",
    pending: null,
    replaced: false,
  });
  assert.deepEqual(
    ledgerOf(step.outputs).map((e) => [e.delta_wh, e.classification]),
    [[0, "flat"]],
  );
});

test("a dip beyond noise recovered by the next reading is a dropped glitch, not a reset", () => {
  assert.equal(energy([at("00:00", 0), at("01:00", 100), at("02:00", 98), at("03:00", 101)]), 101);
  assert.equal(
    energy([at("00:00", 0), at("01:00", 100), at("02:00", 98), at("03:00", 101)], settings({ noise_wh: 3 })),
    101,
  );
});

test("same ts as the newest (or the pending) reading is a duplicate; an earlier one is late; neither changes state", () => {
  const s = settings();
  let state = processReading(initialDeviceState, at("00:00", 0), s).state;
  state = processReading(state, at("01:00", 100), s).state;
  state = processReading(state, at("02:00", 5), s).state;
  const dup = processReading(state, at("02:00", 7), s);
  assert.equal(dup.state, state);
  assert.deepEqual(dup.outputs, [{ kind: "duplicate", device_id: "dev-1", ts: at("02:00", 0).ts }]);
  const late = processReading(state, at("01:30", 50), s);
  assert.equal(late.state, state);
  assert.deepEqual(late.outputs, [{ kind: "late", input: at("01:30", 50) }]);
});

test("flushPending applies the suspect, and is a no-op without one", () => {
  const s = settings({ max_power_w: 1000 });
  let state = processReading(initialDeviceState, at("00:00", 0), s).state;
  state = processReading(state, at("00:01", 1e6), s).state;
  const flushed = flushPending(state, s);
  assert.equal(flushed.state.pending, null);
  assert.deepEqual(
    flushed.outputs.map((o) => (o.kind === "ledger" ? [o.delta_wh, o.classification, o.confidence] : o.kind)),
    ["anomaly", [1e6, "jump", "low"]],
  );
  assert.deepEqual(flushPending(flushed.state, s), { state: flushed.state, outputs: [] });
});

test("with counter_persists_across_boot a new boot id is no reset, but a drop still is", () => {
  const s = settings({ counter_persists_across_boot: true });
  assert.equal(
    resets([at("00:00", 0, "b1"), at("01:00", 100, "b2"), at("02:00", 3, "b3"), at("03:00", 4, "b3")], s),
    1,
  );
});

test("after a reboot the new boot id is the one known: the next reboot is a reset too", () => {
  const readings = [
    at("00:00", 0, "b1"),
    at("01:00", 100, "b1"),
    at("02:00", 150, "b2"),
    at("03:00", 160, "b2"),
    at("04:00", 170, "b3"),
    at("05:00", 180, "b3"),
  ];
  assert.equal(energy(readings), 440);
  assert.equal(resets(readings), 2);
});
