// A device in the stream processor: the stream fold plus the hour buckets that may still change, i.e. those of
// every local date from the last folded reading's on (a new interval starts there, so older hours are final).
//
// A step adds each output's bucket deltas in place and notes the hours it touched; `takeRows` turns what a batch
// touched into full hour and day rows once per device per batch, so that per-reading work stays per-reading.
// A silent device's suspect is written provisionally (`ledgerProvisional`): the state keeps it pending, and the
// reading that finally decides it rewrites every row the provisional write touched.
import {
  advance,
  type DeviceStreamState,
  finish,
  ingest,
  initialStreamState,
  release,
  type StreamStep,
} from "./device-stream.ts";
import { type ZoneClock, zoneClock } from "./hours.ts";
import type { Anomaly, AnomalyType, Output } from "./outputs.ts";
import { flushPending } from "./process.ts";
import { type DeviceInput, orderInputs } from "./replacement.ts";
import { addInto, bucketDeltas, type DayTotal, type HourBucket, isReported, rollupDays } from "./rollup.ts";
import type { DeviceSettings } from "./settings.ts";

/** What a provisional write assumed about the pending suspect at `ts`. */
export interface Provisional {
  ts: number;
  /** The anomaly it wrote (a jump applied): to retract if the suspect turns out to be a glitch. */
  anomaly: AnomalyType | null;
}

export interface LedgerDeviceState {
  stream: DeviceStreamState;
  /** Hour buckets of the local dates that can still change, by hour start. Steps update them in place. */
  hours: Map<number, HourBucket>;
  provisional: Provisional | null;
}

/** What a device's steps changed since its rows were last taken: one per device per batch. */
export interface Touched {
  hours: Set<number>;
  /** Anomaly rows written provisionally that the decided suspect did not produce. */
  retracted: Anomaly[];
}

export interface LedgerRowSet {
  outputs: Output[];
  /** Reported hours that changed, with their full values. */
  hours: HourBucket[];
  /** Days that changed, with their full values. */
  days: DayTotal[];
  /** Every hour bucket of the changed days (what a day's cost is the sum over). */
  dayHours: HourBucket[];
  retracted: Anomaly[];
}

export interface LedgerStep extends LedgerRowSet {
  state: LedgerDeviceState;
}

export const newLedgerState = (): LedgerDeviceState => ({
  stream: initialStreamState,
  hours: new Map(),
  provisional: null,
});

export const newTouched = (): Touched => ({ hours: new Set(), retracted: [] });

export function ledgerIngest(
  state: LedgerDeviceState,
  r: DeviceInput,
  settings: DeviceSettings,
  latenessMs: number,
  touched: Touched,
): Output[] {
  return absorb(state, ingest(state.stream, r, settings, latenessMs), settings, touched);
}

export function ledgerAdvance(
  state: LedgerDeviceState,
  settings: DeviceSettings,
  eventTime: number,
  latenessMs: number,
  touched: Touched,
): Output[] {
  return absorb(state, advance(state.stream, settings, eventTime, latenessMs), settings, touched);
}

/** The end of a batch: everything held is released and the last suspect applied. */
export function ledgerFinish(state: LedgerDeviceState, settings: DeviceSettings, touched: Touched): Output[] {
  return absorb(state, finish(state.stream, settings), settings, touched);
}

/**
 * A device silent for long: what it holds is released for good, and the rows are written as if its suspect were
 * applied (the batch's answer if no reading ever follows). The suspect stays pending in the state, so the next
 * reading still decides it, as in the batch, and rewrites these rows.
 */
export function ledgerProvisional(
  state: LedgerDeviceState,
  settings: DeviceSettings,
  touched: Touched,
): LedgerRowSet {
  const outputs = absorb(state, release(state.stream, settings), settings, touched);
  const pending = state.stream.fold.pending;
  if (pending === null) return { ...takeRows(state, settings, touched), outputs };
  const flushed = flushPending(state.stream.fold, settings).outputs;
  const clock = zoneClock(settings.timezone);
  const overlay = new Map<number, HourBucket>();
  for (const o of flushed) {
    for (const d of bucketDeltas(o, clock)) {
      const base = overlay.get(d.hour_start) ?? state.hours.get(d.hour_start);
      overlay.set(d.hour_start, base === undefined ? d : addInto({ ...base }, d));
      touched.hours.add(d.hour_start);
    }
  }
  const anomaly = flushed.find((o): o is Anomaly => o.kind === "anomaly");
  state.provisional = { ts: pending.reading.ts, anomaly: anomaly?.type ?? null };
  const rows = rowsOf(state, clock, touched, overlay);
  return { ...rows, outputs: [...outputs, ...flushed] };
}

/** The rows of every hour `touched` names and of their days; then forgets the dates no reading can change. */
export function takeRows(state: LedgerDeviceState, settings: DeviceSettings, touched: Touched): LedgerRowSet {
  const clock = zoneClock(settings.timezone);
  const rows = rowsOf(state, clock, touched, new Map());
  const last = state.stream.fold.last;
  if (last !== null) {
    const from = clock.localDate(last.ts);
    for (const start of state.hours.keys()) if (clock.localDate(start) < from) state.hours.delete(start);
  }
  return rows;
}

function rowsOf(
  state: LedgerDeviceState,
  clock: ZoneClock,
  touched: Touched,
  overlay: ReadonlyMap<number, HourBucket>,
): LedgerRowSet {
  const bucket = (start: number) => overlay.get(start) ?? state.hours.get(start);
  const hours: HourBucket[] = [];
  const dates = new Set<string>();
  for (const start of touched.hours) {
    const b = bucket(start);
    if (b !== undefined && isReported(b)) hours.push(b);
    dates.add(clock.localDate(start));
  }
  const dayHours: HourBucket[] = [];
  for (const start of new Set([...state.hours.keys(), ...overlay.keys()])) {
    if (dates.has(clock.localDate(start))) dayHours.push(bucket(start) as HourBucket);
  }
  hours.sort((a, b) => a.hour_start - b.hour_start);
  dayHours.sort((a, b) => a.hour_start - b.hour_start);
  const retracted = touched.retracted;
  touched.hours = new Set();
  touched.retracted = [];
  return { outputs: [], hours, days: rollupDays(dayHours, clock), dayHours, retracted };
}

function absorb(
  state: LedgerDeviceState,
  step: StreamStep,
  settings: DeviceSettings,
  touched: Touched,
): Output[] {
  state.stream = step.state;
  if (step.outputs.length === 0) return step.outputs;
  const clock = zoneClock(settings.timezone);
  for (const o of step.outputs) {
    for (const d of bucketDeltas(o, clock)) {
      const into = state.hours.get(d.hour_start);
      // Deltas are fresh objects: the first becomes the accumulator, later ones are added in place.
      if (into === undefined) state.hours.set(d.hour_start, d);
      else addInto(into, d);
      touched.hours.add(d.hour_start);
    }
  }
  settleProvisional(state, step.outputs, touched);
  return step.outputs;
}

/**
 * Once the suspect written provisionally is decided, the rows it touched are rewritten by the step that decided
 * it (its interval covers them); only an anomaly row the decision did not produce needs retracting.
 */
function settleProvisional(state: LedgerDeviceState, outputs: Output[], touched: Touched): void {
  const p = state.provisional;
  if (p === null || state.stream.fold.pending?.reading.ts === p.ts) return;
  state.provisional = null;
  if (p.anomaly === null) return;
  const kept = outputs.some((o) => o.kind === "anomaly" && o.ts === p.ts && o.type === p.anomaly);
  if (!kept) {
    const device_id = state.stream.fold.last?.device_id ?? "";
    touched.retracted.push({ kind: "anomaly", device_id, type: p.anomaly, ts: p.ts, energy_wh_total: 0 });
  }
}

/**
 * A rebuild in progress: the stream fold plus every hour bucket, none pruned. The caller owns it.
 */
export interface Rebuild {
  state: LedgerDeviceState;
  all: Map<number, HourBucket>;
  late: number;
}

export const startRebuild = (): Rebuild => ({ state: newLedgerState(), all: new Map(), late: 0 });

/**
 * A rebuild that goes on from `from`, a state with nothing held: its open hours are where the rebuild's hours
 * start, so its rows are those of the local dates from its last reading's on.
 */
const resumeRebuild = (from: LedgerDeviceState): Rebuild => ({
  state: { stream: from.stream, hours: new Map(), provisional: null },
  all: new Map([...from.hours].map(([start, h]) => [start, { ...h }])),
  late: 0,
});

/** Folds one more reading or replacement into a rebuild (in place); returns the fold's outputs. */
export function rebuildStep(
  acc: Rebuild,
  r: DeviceInput,
  settings: DeviceSettings,
  latenessMs: number,
): Output[] {
  const step = ingest(acc.state.stream, r, settings, latenessMs);
  acc.state.stream = step.state;
  addAll(acc.all, step.outputs, settings);
  for (const o of step.outputs) if (o.kind === "late") acc.late++;
  return step.outputs;
}

/** Ends a rebuild as the batch ends: everything held released, the last suspect applied. */
export function finishRebuild(acc: Rebuild, settings: DeviceSettings): Output[] {
  const step = finish(acc.state.stream, settings);
  acc.state.stream = step.state;
  addAll(acc.all, step.outputs, settings);
  return step.outputs;
}

function addAll(all: Map<number, HourBucket>, outputs: Output[], settings: DeviceSettings): void {
  const clock = zoneClock(settings.timezone);
  for (const o of outputs) {
    for (const d of bucketDeltas(o, clock)) {
      const into = all.get(d.hour_start);
      if (into === undefined) all.set(d.hour_start, d);
      else addInto(into, d);
    }
  }
}

/** Every reported hour and day of a rebuild. */
export function rebuildRows(acc: Rebuild, settings: DeviceSettings): Omit<LedgerRowSet, "outputs"> {
  const hours = [...acc.all.values()].sort((a, b) => a.hour_start - b.hour_start);
  return {
    hours: hours.filter(isReported),
    days: rollupDays(hours, zoneClock(settings.timezone)),
    dayHours: hours,
    retracted: [],
  };
}

/**
 * Rebuilds a device from all its readings and replacements (a recalculation): they are folded in the device's
 * order, as the batch does (stable, so of two alike with one `ts` the first received counts), and every reported
 * hour and day is returned. With `start`, the state after every input up to some instant, the rebuild goes on from
 * it with the inputs after that instant, and returns the rows of the dates from its last reading's on. The state's
 * open hours are copies, so the caller may go on folding into it.
 */
export function ledgerRebuild(
  readings: readonly DeviceInput[],
  settings: DeviceSettings,
  latenessMs: number,
  start?: LedgerDeviceState,
): LedgerStep {
  const acc = start === undefined ? startRebuild() : resumeRebuild(start);
  const outputs: Output[] = [];
  for (const r of orderInputs(readings)) outputs.push(...rebuildStep(acc, r, settings, latenessMs));
  const rows = rebuildRows(acc, settings);
  const clock = zoneClock(settings.timezone);
  const last = acc.state.stream.fold.last;
  const from = last === null ? "" : clock.localDate(last.ts);
  for (const h of rows.dayHours)
    if (clock.localDate(h.hour_start) >= from) acc.state.hours.set(h.hour_start, { ...h });
  return { state: acc.state, outputs, ...rows };
}

/** A device's whole result as the stream would store it: rebuilt from its inputs, then finished as the batch. */
export function ledgerBatch(readings: readonly DeviceInput[], settings: DeviceSettings): LedgerStep {
  const acc = startRebuild();
  const outputs: Output[] = [];
  for (const r of orderInputs(readings)) outputs.push(...rebuildStep(acc, r, settings, 0));
  outputs.push(...finishRebuild(acc, settings));
  return { state: acc.state, outputs, ...rebuildRows(acc, settings) };
}
