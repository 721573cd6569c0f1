// One device in the stream: the reorder buffer in front of the fold, as one JSON-serialisable state.
// Given every reading and replacement no more than the allowed lateness behind its device's newest one, in any
// order, the outputs equal the batch's on the same inputs.
import { type DeviceState, initialDeviceState } from "./device-state.ts";
import type { Output } from "./outputs.ts";
import { flushPending, processInput } from "./process.ts";
import {
  advanceClock,
  drain,
  emptyReorder,
  heldCount,
  insertReading,
  type Release,
  type ReorderState,
} from "./reorder.ts";
import type { DeviceInput } from "./replacement.ts";
import type { DeviceSettings } from "./settings.ts";

export const DEFAULT_ALLOWED_LATENESS_MS = 120_000;

export interface DeviceStreamState {
  fold: DeviceState;
  reorder: ReorderState;
}

export interface StreamStep {
  state: DeviceStreamState;
  outputs: Output[];
}

export const initialStreamState: DeviceStreamState = { fold: initialDeviceState, reorder: emptyReorder };

/** One arriving reading or replacement: flagged duplicate or late, or buffered; what the buffer releases is folded. */
export function ingest(
  state: DeviceStreamState,
  r: DeviceInput,
  settings: DeviceSettings,
  allowedLatenessMs = DEFAULT_ALLOWED_LATENESS_MS,
): StreamStep {
  const inserted = insertReading(state.reorder, r, allowedLatenessMs);
  if (inserted.arrival === "duplicate")
    return { state, outputs: [{ kind: "duplicate", device_id: r.device_id, ts: r.ts }] };
  if (inserted.arrival === "late") return { state, outputs: [{ kind: "late", input: r }] };
  return foldReleased(state.fold, inserted, settings);
}

/**
 * Moves the device's event time to `eventTime` (a partition watermark, or the processing-time wait for a silent
 * device): releases what is now older than the allowed lateness, and applies a pending suspect that is too, if no
 * held reading follows it. While one does, that reading decides the suspect, as in the batch.
 */
export function advance(
  state: DeviceStreamState,
  settings: DeviceSettings,
  eventTime: number,
  allowedLatenessMs = DEFAULT_ALLOWED_LATENESS_MS,
): StreamStep {
  const step = foldReleased(state.fold, advanceClock(state.reorder, eventTime, allowedLatenessMs), settings);
  const { fold, reorder } = step.state;
  const watermark = (reorder.clock as number) - allowedLatenessMs;
  if (fold.pending === null || heldCount(reorder.buffer) > 0 || fold.pending.reading.ts >= watermark)
    return step;
  const flushed = flushPending(fold, settings);
  return { state: { fold: flushed.state, reorder }, outputs: [...step.outputs, ...flushed.outputs] };
}

/**
 * Releases everything held, in ts order, but keeps a pending suspect pending: a device silent for long has nothing
 * more to wait for in its buffer, while only its next reading can tell whether the suspect was a glitch.
 */
export function release(state: DeviceStreamState, settings: DeviceSettings): StreamStep {
  return foldReleased(state.fold, drain(state.reorder), settings);
}

/** Releases everything and applies the last suspect: the end of a batch, or a device taken out of service. */
export function finish(state: DeviceStreamState, settings: DeviceSettings): StreamStep {
  const step = foldReleased(state.fold, drain(state.reorder), settings);
  const flushed = flushPending(step.state.fold, settings);
  return { state: { ...step.state, fold: flushed.state }, outputs: [...step.outputs, ...flushed.outputs] };
}

function foldReleased(fold: DeviceState, release: Release, settings: DeviceSettings): StreamStep {
  // Runs for every reading: the outputs of the usual single released reading are passed on without a copy.
  const { released } = release;
  if (released.length === 1) {
    const step = processInput(fold, released[0] as DeviceInput, settings);
    return { state: { fold: step.state, reorder: release.state }, outputs: step.outputs };
  }
  const outputs: Output[] = [];
  let current = fold;
  for (const r of released) {
    const step = processInput(current, r, settings);
    current = step.state;
    for (const o of step.outputs) outputs.push(o);
  }
  return { state: { fold: current, reorder: release.state }, outputs };
}
