// A per-device reorder buffer for the stream: holds readings and meter replacements until the device's event time
// has moved `allowedLatenessMs` past them, then releases them in the device's order (by ts, and at one ts a reading
// before a replacement). An input no more than the allowed lateness behind the newest one is therefore never
// released out of order.
//
// It runs once per reading in the stream and in every replay, so the held inputs are a window on a store that
// states share (see Held): an in-order arrival appends without copying them. No state ever changes.
import { comesBefore, type DeviceInput, isReplacement } from "./replacement.ts";

export interface ReorderState {
  /** The device's event time: its newest input's ts, or a later instant the caller advanced it to. */
  clock: number | null;
  /** ts of the last released input. */
  released: number | null;
  /** Whether the last released input was a replacement (a reading at its ts then came too late). */
  releasedReplacement: boolean;
  /** Held inputs, in the device's order. */
  buffer: Held;
}

/**
 * Held inputs: `store[from]` up to `store[to - 1]`. States share stores: a step appends to its state's store only
 * while no other step has (the store still ends at `to`), so what a state holds never changes under it, and the
 * usual in-order arrival costs no copy of the hundreds of inputs a chatty device holds.
 */
export interface Held {
  readonly store: DeviceInput[];
  readonly from: number;
  readonly to: number;
}

// Frozen: nothing may ever be appended to the store that every empty buffer shares.
export const noneHeld: Held = { store: Object.freeze([]) as unknown as DeviceInput[], from: 0, to: 0 };

export const heldCount = (held: Held): number => held.to - held.from;

/** The held inputs, as an array of their own. */
export const heldInputs = (held: Held): DeviceInput[] => held.store.slice(held.from, held.to);

/** A buffer holding `inputs` (in the device's order). */
export const heldOf = (inputs: readonly DeviceInput[]): Held =>
  inputs.length === 0 ? noneHeld : { store: inputs.slice(), from: 0, to: inputs.length };

export const emptyReorder: ReorderState = {
  clock: null,
  released: null,
  releasedReplacement: false,
  buffer: noneHeld,
};

/** accepted: held (maybe already released); duplicate: its ts is taken; late: too far behind to place in order. */
export type Arrival = "accepted" | "duplicate" | "late";

export interface Release {
  state: ReorderState;
  /** Inputs to fold now, in the device's order. */
  released: DeviceInput[];
}

export function insertReading(
  state: ReorderState,
  r: DeviceInput,
  allowedLatenessMs: number,
): Release & { arrival: Arrival } {
  const { store, from, to } = state.buffer;
  // Where r goes in the held inputs (in order, each ts once per kind): after every one that does not follow it.
  let i = to;
  while (i > from && comesBefore(r, store[i - 1] as DeviceInput)) i--;
  const replacement = isReplacement(r);
  const previous = i > from ? store[i - 1] : undefined;
  if (
    (state.released === r.ts && state.releasedReplacement === replacement) ||
    (previous !== undefined && previous.ts === r.ts && isReplacement(previous) === replacement)
  ) {
    return { state, released: [], arrival: "duplicate" };
  }
  // Not after the last released input: r cannot be placed in order (what the fold took at that ts is unknown here,
  // and the held offsets are released by ts). Within the allowed lateness that happens only after a silent
  // device's buffer was released ahead of the watermark (`drain`); a recalculation places it.
  const behindRelease = state.released !== null && r.ts <= state.released;
  if (behindRelease || (state.clock !== null && state.clock - r.ts > allowedLatenessMs)) {
    return { state, released: [], arrival: "late" };
  }
  const clock = state.clock === null || r.ts > state.clock ? r.ts : state.clock;
  const watermark = clock - allowedLatenessMs;
  if (i === to) return appended(state, r, clock, watermark);
  // The held inputs with r inserted at i, in order, split at the watermark: the first n are released. Both parts
  // are built at their size.
  const count = to - from + 1;
  let n = 0;
  while (n < count && inserted(store, from + n, i, r).ts < watermark) n++;
  const released = new Array<DeviceInput>(n);
  for (let k = 0; k < n; k++) released[k] = inserted(store, from + k, i, r);
  const kept = new Array<DeviceInput>(count - n);
  for (let k = n; k < count; k++) kept[k - n] = inserted(store, from + k, i, r);
  const buffer: Held = kept.length === 0 ? noneHeld : { store: kept, from: 0, to: kept.length };
  const last = n === 0 ? undefined : (released[n - 1] as DeviceInput);
  const next: ReorderState =
    last === undefined
      ? { clock, released: state.released, releasedReplacement: state.releasedReplacement, buffer }
      : { clock, released: last.ts, releasedReplacement: isReplacement(last), buffer };
  return { state: next, released, arrival: "accepted" };
}

/**
 * The usual case, r after every held input: the oldest ones the watermark passed are released and r joins the
 * rest. r itself stays, since it is not late (it is at most the allowed lateness behind the clock).
 */
function appended(
  state: ReorderState,
  r: DeviceInput,
  clock: number,
  watermark: number,
): Release & { arrival: Arrival } {
  // releaseBefore and the append in one step: it runs for nearly every input, so it builds one state, not three.
  const { store, from, to } = state.buffer;
  const n = heldFrom(state.buffer, watermark);
  let buffer: Held;
  if (n === to) buffer = { store: [r], from: 0, to: 1 };
  else if (store.length === to && (n < COMPACT_MIN || n < to - n)) {
    store.push(r);
    buffer = { store, from: n, to: to + 1 };
  } else {
    // Another step appended to this store already, or the released inputs before the held ones are as many as
    // they (and at least COMPACT_MIN): r joins a copy of what is held.
    const own = store.slice(n, to);
    own.push(r);
    buffer = { store: own, from: 0, to: own.length };
  }
  if (n === from) return { state: { ...state, clock, buffer }, released: [], arrival: "accepted" };
  const last = store[n - 1] as DeviceInput;
  return {
    state: { clock, released: last.ts, releasedReplacement: isReplacement(last), buffer },
    released: store.slice(from, n),
    arrival: "accepted",
  };
}

/** Element k of `store` with `r` inserted at i. */
function inserted(store: readonly DeviceInput[], k: number, i: number, r: DeviceInput): DeviceInput {
  return (k < i ? store[k] : k === i ? r : store[k - 1]) as DeviceInput;
}

/**
 * Released inputs at the front of a store are dropped (by a copy of the held ones) once they are at least this many
 * and as many as the held ones. Each input is then copied about once while held, and a store keeps at most about
 * twice what it holds: the released inputs it kept stay alive, and a fleet's devices hold some 100 each.
 */
const COMPACT_MIN = 16;

/** Moves the device's event time forward to `eventTime` (if later) and releases what it lets go. */
export function advanceClock(state: ReorderState, eventTime: number, allowedLatenessMs: number): Release {
  const clock = state.clock === null || eventTime > state.clock ? eventTime : state.clock;
  return releaseBefore({ ...state, clock }, clock - allowedLatenessMs);
}

/** Releases everything held. */
export function drain(state: ReorderState): Release {
  return releaseBefore(state, Number.POSITIVE_INFINITY);
}

function releaseBefore(state: ReorderState, watermark: number): Release {
  const { store, from, to } = state.buffer;
  const n = heldFrom(state.buffer, watermark);
  if (n === from) return { state, released: [] };
  const released = store.slice(from, n);
  const last = released[released.length - 1] as DeviceInput;
  return {
    state: {
      clock: state.clock,
      released: last.ts,
      releasedReplacement: isReplacement(last),
      buffer: n === to ? noneHeld : { store, from: n, to },
    },
    released,
  };
}

/** Where the inputs still held at `watermark` start in the store: those before are released. */
function heldFrom({ store, from, to }: Held, watermark: number): number {
  let n = from;
  while (n < to && (store[n] as DeviceInput).ts < watermark) n++;
  return n;
}
