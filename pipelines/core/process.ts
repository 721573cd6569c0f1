// The per-device fold: `(state, input) → (state, outputs)`, readings and meter replacements in the device's order
// (spec: "Processing", "Meter replacement"). The input state is never mutated, so a caller may keep, serialise or
// replay it.
import { type Classification, classify } from "./classify.ts";
import { intervalConfidence } from "./confidence.ts";
import type { DeviceState, Pending, StartedState } from "./device-state.ts";
import type { LedgerEntry, Output } from "./outputs.ts";
import type { Reading } from "./reading.ts";
import { type DeviceInput, isReplacement, type MeterReplacement } from "./replacement.ts";
import type { DeviceSettings } from "./settings.ts";

export interface Step {
  state: DeviceState;
  outputs: Output[];
}

export function processInput(state: DeviceState, input: DeviceInput, settings: DeviceSettings): Step {
  return isReplacement(input)
    ? processReplacement(state, input, settings)
    : processReading(state, input, settings);
}

export function processReading(state: DeviceState, r: Reading, settings: DeviceSettings): Step {
  if (state.last === null) {
    return {
      state: { last: r, hw: r.energy_wh_total, boot: r.boot_id ?? null, pending: null, replaced: false },
      outputs: [{ kind: "reading", device_id: r.device_id, ts: r.ts }],
    };
  }
  const { last, pending } = state;
  const newest = pending === null ? last.ts : pending.reading.ts;
  // A reading at a replacement's ts was read on the old counter: it belonged before the swap.
  if (r.ts < newest || (r.ts === newest && pending === null && state.replaced)) {
    return { state, outputs: [{ kind: "late", input: r }] };
  }
  if (r.ts === newest) return { state, outputs: [{ kind: "duplicate", device_id: r.device_id, ts: r.ts }] };

  const outputs: Output[] = [{ kind: "reading", device_id: r.device_id, ts: r.ts }];
  let current = state;
  if (pending !== null) {
    // The suspect changed nothing yet, so `state` is the state before it: last, hw and boot as they were, and the
    // jump rule measures hours from the reading before the suspect.
    const c = classify(r, state, settings);
    if (c === "flat" || c === "normal") {
      outputs.push(anomaly(pending.reading, "glitch_dropped"));
      return { state: apply(state, r, c, settings, outputs), outputs };
    }
    current = applyPending(state, pending, settings, outputs);
  }
  const c = classify(r, current, settings);
  if (c === "reset" || c === "jump") {
    return { state: { ...current, pending: { reading: r, classification: c } }, outputs };
  }
  return { state: apply(current, r, c, settings, outputs), outputs };
}

/**
 * A meter replacement: the suspect is judged against the old counter's final value, the final value is applied at
 * once, and the new counter's start becomes the state the next reading is classified against.
 */
export function processReplacement(state: DeviceState, e: MeterReplacement, settings: DeviceSettings): Step {
  const seen: Output = {
    kind: "replacement",
    device_id: e.device_id,
    ts: e.ts,
    old_final_wh_total: e.old_final_wh_total,
    new_initial_wh_total: e.new_initial_wh_total,
  };
  const started: StartedState = {
    last: { device_id: e.device_id, ts: e.ts, energy_wh_total: e.new_initial_wh_total },
    hw: e.new_initial_wh_total,
    boot: null,
    pending: null,
    replaced: true,
  };
  // Before any reading, the event only sets the new counter's start: the first reading is not a baseline.
  if (state.last === null) return { state: started, outputs: [seen] };
  const { last, pending } = state;
  const newest = pending === null ? last.ts : pending.reading.ts;
  if (e.ts < newest) return { state, outputs: [{ kind: "late", input: e }] };
  if (e.ts === last.ts && pending === null && state.replaced) {
    return { state, outputs: [{ kind: "duplicate", device_id: e.device_id, ts: e.ts }] };
  }
  const outputs: Output[] = [seen];
  const final: Reading | null =
    e.old_final_wh_total === null
      ? null
      : { device_id: e.device_id, ts: e.ts, energy_wh_total: e.old_final_wh_total };
  let current: StartedState = state;
  if (pending !== null) {
    // Judged as if the final value were a reading without boot id; without one, the suspect is applied.
    const c = final === null ? null : classify(final, state, settings);
    if (c === "flat" || c === "normal") {
      outputs.push(anomaly(pending.reading, "glitch_dropped"));
      current = { ...state, pending: null };
    } else {
      current = applyPending(state, pending, settings, outputs);
    }
  }
  if (final !== null) {
    // Applied at once, never pending; a final value below the counter carries nothing.
    const c = classify(final, current, settings);
    if (c === "jump") outputs.push(anomaly(final, "implausible_jump"));
    if (c !== "reset") apply(current, final, c, settings, outputs, true);
  }
  return { state: started, outputs };
}

/** Applies a pending suspect that no reading followed (end of a batch, or the stream gave up waiting). */
export function flushPending(state: DeviceState, settings: DeviceSettings): Step {
  if (state.pending === null) return { state, outputs: [] };
  const outputs: Output[] = [];
  return { state: applyPending(state, state.pending, settings, outputs), outputs };
}

function applyPending(state: StartedState, pending: Pending, settings: DeviceSettings, outputs: Output[]) {
  if (pending.classification === "jump") outputs.push(anomaly(pending.reading, "implausible_jump"));
  return apply(state, pending.reading, pending.classification, settings, outputs);
}

function apply(
  state: StartedState,
  r: Reading,
  c: Classification,
  settings: DeviceSettings,
  outputs: Output[],
  replacement = false,
): StartedState {
  const from = state.last.ts;
  let delta = 0;
  let hw = state.hw;
  let boot = state.boot;
  if (c === "normal" || c === "jump") {
    delta = r.energy_wh_total - hw;
    hw = r.energy_wh_total;
  } else if (c === "reset") {
    // What the restarted counter has counted since it restarted.
    delta = r.energy_wh_total;
    hw = r.energy_wh_total;
    boot = null;
  }
  const entry: LedgerEntry = {
    kind: "ledger",
    device_id: r.device_id,
    from,
    to: r.ts,
    delta_wh: delta,
    classification: c,
    confidence: intervalConfidence(r.ts - from, c, settings),
  };
  if (replacement) entry.replacement = true;
  outputs.push(entry);
  return { last: r, hw, boot: r.boot_id ?? boot, pending: null, replaced: false };
}

function anomaly(r: Reading, type: "glitch_dropped" | "implausible_jump"): Output {
  return { kind: "anomaly", device_id: r.device_id, type, ts: r.ts, energy_wh_total: r.energy_wh_total };
}
