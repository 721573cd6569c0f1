// A device in the stream processor: the stream fold plus the hour buckets that may still change, i.e. those of
// every local date from the last folded reading's on (a new interval starts there, so older hours are final).
// Each step says which hours and days changed, with their full values, so the sink can upsert whole rows.
import {
  advance,
  type DeviceStreamState,
  finish,
  ingest,
  initialStreamState,
  type StreamStep,
} from "./device-stream.ts";
import { type ZoneClock, zoneClock } from "./hours.ts";
import type { Output } from "./outputs.ts";
import type { Reading } from "./reading.ts";
import {
  addInto,
  bucketDeltas,
  type DayTotal,
  type HourBucket,
  isReported,
  mergeBucket,
  rollupDays,
} from "./rollup.ts";
import type { DeviceSettings } from "./settings.ts";

export interface LedgerDeviceState {
  stream: DeviceStreamState;
  /** Hour buckets of the local dates that can still change, in time order. */
  hours: HourBucket[];
}

export interface LedgerStep {
  state: LedgerDeviceState;
  outputs: Output[];
  /** Reported hours this step changed, with their full values. */
  hours: HourBucket[];
  /** Reported days this step changed, with their full values. */
  days: DayTotal[];
  /** Every hour bucket of the changed days (what a day's cost is the sum over). */
  dayHours: HourBucket[];
}

export const initialLedgerState: LedgerDeviceState = { stream: initialStreamState, hours: [] };

export function ledgerIngest(
  state: LedgerDeviceState,
  r: Reading,
  settings: DeviceSettings,
  latenessMs: number,
): LedgerStep {
  return absorb(state, ingest(state.stream, r, settings, latenessMs), settings);
}

export function ledgerAdvance(
  state: LedgerDeviceState,
  settings: DeviceSettings,
  eventTime: number,
  latenessMs: number,
): LedgerStep {
  return absorb(state, advance(state.stream, settings, eventTime, latenessMs), settings);
}

export function ledgerFinish(state: LedgerDeviceState, settings: DeviceSettings): LedgerStep {
  return absorb(state, finish(state.stream, settings), settings);
}

/**
 * A rebuild in progress: the stream fold plus every hour bucket, none pruned. The caller owns it. For speed a step
 * keeps `state.hours` as it was (a rebuild needs no open-hour copies); `ledgerRebuild` settles it at the end.
 */
export interface Rebuild {
  state: LedgerDeviceState;
  all: Map<number, HourBucket>;
  late: number;
}

export const startRebuild = (): Rebuild => ({ state: initialLedgerState, all: new Map(), late: 0 });

/** Folds one more reading into a rebuild (in place); returns the fold's outputs. */
export function rebuildStep(
  acc: Rebuild,
  r: Reading,
  settings: DeviceSettings,
  latenessMs: number,
): Output[] {
  const step = ingest(acc.state.stream, r, settings, latenessMs);
  acc.state = { stream: step.state, hours: acc.state.hours };
  const clock = zoneClock(settings.timezone);
  for (const o of step.outputs) {
    if (o.kind === "late") acc.late++;
    for (const d of bucketDeltas(o, clock)) {
      const into = acc.all.get(d.hour_start);
      // Deltas are fresh objects: the first becomes the accumulator, later ones are added in place.
      if (into === undefined) acc.all.set(d.hour_start, d);
      else addInto(into, d);
    }
  }
  return step.outputs;
}

/** Every reported hour and day of a rebuild. */
export function rebuildRows(
  acc: Rebuild,
  settings: DeviceSettings,
): Pick<LedgerStep, "hours" | "days" | "dayHours"> {
  const hours = [...acc.all.values()].sort((a, b) => a.hour_start - b.hour_start);
  return {
    hours: hours.filter(isReported),
    days: rollupDays(hours, zoneClock(settings.timezone)),
    dayHours: hours,
  };
}

/**
 * Rebuilds a device from all its readings (a recalculation): they are folded in `ts` order, as the batch does
 * (stable, so of two with one `ts` the first received counts), and every reported hour and day is returned.
 */
export function ledgerRebuild(
  readings: readonly Reading[],
  settings: DeviceSettings,
  latenessMs: number,
): LedgerStep {
  const acc = startRebuild();
  const outputs: Output[] = [];
  for (const r of [...readings].sort((a, b) => a.ts - b.ts))
    outputs.push(...rebuildStep(acc, r, settings, latenessMs));
  const rows = rebuildRows(acc, settings);
  const stream = acc.state.stream;
  return {
    state: { stream, hours: stillOpen(rows.dayHours, stream, zoneClock(settings.timezone)) },
    outputs,
    ...rows,
  };
}

function absorb(before: LedgerDeviceState, step: StreamStep, settings: DeviceSettings): LedgerStep {
  if (step.outputs.length === 0) {
    return { state: { ...before, stream: step.state }, outputs: [], hours: [], days: [], dayHours: [] };
  }
  const clock = zoneClock(settings.timezone);
  const hours = new Map(before.hours.map((h) => [h.hour_start, h]));
  const changed = new Set<number>();
  for (const o of step.outputs) {
    for (const d of bucketDeltas(o, clock)) {
      hours.set(d.hour_start, mergeBucket(hours.get(d.hour_start), d));
      changed.add(d.hour_start);
    }
  }
  const all = [...hours.values()].sort((a, b) => a.hour_start - b.hour_start);
  const changedDates = new Set([...changed].map((h) => clock.localDate(h)));
  const dayHours = all.filter((h) => changedDates.has(clock.localDate(h.hour_start)));
  return {
    state: { stream: step.state, hours: stillOpen(all, step.state, clock) },
    outputs: step.outputs,
    hours: all.filter((h) => changed.has(h.hour_start) && isReported(h)),
    days: rollupDays(dayHours, clock),
    dayHours,
  };
}

function stillOpen(hours: HourBucket[], stream: DeviceStreamState, clock: ZoneClock): HourBucket[] {
  const last = stream.fold.last;
  if (last === null) return hours;
  const from = clock.localDate(last.ts);
  return hours.filter((h) => clock.localDate(h.hour_start) >= from);
}
