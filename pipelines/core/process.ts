// The per-device fold: `(state, reading) → (state, outputs)`, readings in ts order (spec: "Processing").
// The input state is never mutated, so a caller may keep, serialise or replay it.
import { type Classification, classify } from "./classify.ts";
import { intervalConfidence } from "./confidence.ts";
import type { DeviceState, Pending, StartedState } from "./device-state.ts";
import type { Output } from "./outputs.ts";
import type { Reading } from "./reading.ts";
import type { DeviceSettings } from "./settings.ts";

export interface Step {
  state: DeviceState;
  outputs: Output[];
}

export function processReading(state: DeviceState, r: Reading, settings: DeviceSettings): Step {
  if (state.last === null) {
    return {
      state: { last: r, hw: r.energy_wh_total, boot: r.boot_id ?? null, pending: null },
      outputs: [{ kind: "reading", device_id: r.device_id, ts: r.ts }],
    };
  }
  const { last, pending } = state;
  const newest = pending === null ? last.ts : pending.reading.ts;
  if (r.ts === newest) return { state, outputs: [{ kind: "duplicate", device_id: r.device_id, ts: r.ts }] };
  if (r.ts < newest) return { state, outputs: [{ kind: "late", reading: r }] };

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
  outputs.push({
    kind: "ledger",
    device_id: r.device_id,
    from,
    to: r.ts,
    delta_wh: delta,
    classification: c,
    confidence: intervalConfidence(r.ts - from, c, settings),
  });
  return { last: r, hw, boot: r.boot_id ?? boot, pending: null };
}

function anomaly(r: Reading, type: "glitch_dropped" | "implausible_jump"): Output {
  return { kind: "anomaly", device_id: r.device_id, type, ts: r.ts, energy_wh_total: r.energy_wh_total };
}
