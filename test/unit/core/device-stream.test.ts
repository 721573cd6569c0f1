import assert from "node:assert/strict";
import { test } from "node:test";
import {
  advance,
  type DeviceStreamState,
  finish,
  ingest,
  initialStreamState,
} from "../../../pipelines/core/device-stream.ts";
import type { Output } from "../../../pipelines/core/outputs.ts";
import type { Reading } from "../../../pipelines/core/reading.ts";
import { heldCount, heldInputs } from "../../../pipelines/core/reorder.ts";
import { at, foldAll, ledgerOf, settings } from "./helpers.ts";

function stream(readings: Reading[], s = settings()) {
  let state: DeviceStreamState = initialStreamState;
  const outputs: Output[] = [];
  for (const r of readings) {
    const step = ingest(state, r, s);
    state = step.state;
    outputs.push(...step.outputs);
  }
  return { state, outputs };
}

test("out-of-order readings within the allowed lateness give the batch's ledger", () => {
  const sorted = [at("00:00", 0), at("00:01", 10), at("00:02", 5), at("00:03", 20), at("00:04", 30)];
  const { state, outputs } = stream([sorted[1], sorted[0], sorted[3], sorted[2], sorted[4]] as Reading[]);
  const all = [...outputs, ...finish(state, settings()).outputs];
  assert.deepEqual(ledgerOf(all), ledgerOf(foldAll(sorted, settings())));
});

test("a reading later than the allowed lateness is reported late and not folded", () => {
  const { outputs, state } = stream([at("00:00", 0), at("00:10", 10), at("00:05", 5)]);
  assert.deepEqual(outputs.at(-1), { kind: "late", input: at("00:05", 5) });
  assert.deepEqual(heldInputs(state.reorder.buffer), [at("00:10", 10)]);
});

test("advance applies a suspect once event time is past it by the allowed lateness and nothing follows it", () => {
  const s = settings();
  const { state } = stream([at("00:00", 0), at("00:01", 100), at("00:02", 5)], s);
  // The suspect (00:02) is still held: it is released and applied only when the clock passes 00:04.
  const early = advance(state, s, at("00:04", 0).ts, 120_000);
  assert.deepEqual(
    ledgerOf(early.outputs).map((e) => e.classification),
    ["normal"],
  );
  assert.deepEqual(heldInputs(early.state.reorder.buffer), [at("00:02", 5)]);
  const later = advance(early.state, s, at("00:04", 0).ts + 1, 120_000);
  assert.deepEqual(
    ledgerOf(later.outputs).map((e) => [e.classification, e.delta_wh]),
    [["reset", 5]],
  );
  assert.equal(later.state.fold.pending, null);
});

test("advance leaves a suspect to the held reading that follows it", () => {
  const s = settings();
  const { state } = stream([at("00:00", 0), at("00:01", 100), at("00:02", 0), at("00:04", 101)], s);
  const step = advance(state, s, at("00:06", 0).ts - 1, 120_000);
  assert.notEqual(step.state.fold.pending, null);
  assert.equal(heldCount(step.state.reorder.buffer), 1);
  const done = finish(step.state, s);
  assert.deepEqual(
    done.outputs.filter((o) => o.kind === "anomaly").map((o) => o.kind === "anomaly" && o.type),
    ["glitch_dropped"],
  );
});
