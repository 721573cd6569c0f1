// A per-device reorder buffer for the stream: holds readings and meter replacements until the device's event time
// has moved `allowedLatenessMs` past them, then releases them in the device's order (by ts, and at one ts a reading
// before a replacement). An input no more than the allowed lateness behind the newest one is therefore never
// released out of order.
//
// It runs once per reading in the stream and in every replay, so an insert builds the new buffer and the released
// readings directly at their sizes instead of copying the buffer several times; the state is never mutated.
import { comesBefore, type DeviceInput, isReplacement } from "./replacement.ts";

export interface ReorderState {
  /** The device's event time: its newest input's ts, or a later instant the caller advanced it to. */
  clock: number | null;
  /** ts of the last released input. */
  released: number | null;
  /** Whether the last released input was a replacement (a reading at its ts then came too late). */
  releasedReplacement: boolean;
  /** Held inputs, in the device's order. */
  buffer: DeviceInput[];
}

export const emptyReorder: ReorderState = {
  clock: null,
  released: null,
  releasedReplacement: false,
  buffer: [],
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
  const held = state.buffer;
  // Where r goes in the held inputs (in order, each ts once per kind): after every one that does not follow it.
  let i = held.length;
  while (i > 0 && comesBefore(r, held[i - 1] as DeviceInput)) i--;
  const replacement = isReplacement(r);
  const previous = held[i - 1];
  if (
    (state.released === r.ts && state.releasedReplacement === replacement) ||
    (previous !== undefined && previous.ts === r.ts && isReplacement(previous) === replacement)
  ) {
    return { state, released: [], arrival: "duplicate" };
  }
  const behindRelease = state.released === r.ts && state.releasedReplacement;
  if (behindRelease || (state.clock !== null && state.clock - r.ts > allowedLatenessMs)) {
    return { state, released: [], arrival: "late" };
  }
  const clock = state.clock === null || r.ts > state.clock ? r.ts : state.clock;
  const watermark = clock - allowedLatenessMs;
  if (i === held.length) return appended(state, r, clock, watermark);
  // The held inputs with r inserted at i, in order, split at the watermark: the first n are released. Both parts
  // are built at their size (this runs for every reading).
  let n = 0;
  while (n <= held.length && inserted(held, i, r, n).ts < watermark) n++;
  const released = new Array<DeviceInput>(n);
  for (let k = 0; k < n; k++) released[k] = inserted(held, i, r, k);
  const buffer = new Array<DeviceInput>(held.length + 1 - n);
  for (let k = n; k <= held.length; k++) buffer[k - n] = inserted(held, i, r, k);
  const last = n === 0 ? undefined : (released[n - 1] as DeviceInput);
  const next: ReorderState =
    last === undefined
      ? { clock, released: state.released, releasedReplacement: state.releasedReplacement, buffer }
      : { clock, released: last.ts, releasedReplacement: isReplacement(last), buffer };
  return { state: next, released, arrival: "accepted" };
}

/**
 * The usual case, r after every held input: the oldest ones the watermark passed are released and r joins the
 * rest. r itself stays, since it is not late (it is at most the allowed lateness behind the clock). Native slices,
 * because the buffer holds everything of the last allowed lateness (hundreds of inputs for a chatty device).
 */
function appended(
  state: ReorderState,
  r: DeviceInput,
  clock: number,
  watermark: number,
): Release & { arrival: Arrival } {
  const { state: next, released } = releaseBefore({ ...state, clock }, watermark);
  // A release made a new buffer, which r may join; otherwise the held one is copied first.
  const buffer = next.buffer === state.buffer ? state.buffer.slice() : next.buffer;
  buffer.push(r);
  return { state: { ...next, buffer }, released, arrival: "accepted" };
}

/** Element k of `held` with `r` inserted at i. */
function inserted(held: readonly DeviceInput[], i: number, r: DeviceInput, k: number): DeviceInput {
  return (k < i ? held[k] : k === i ? r : held[k - 1]) as DeviceInput;
}

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
  let n = 0;
  while (n < state.buffer.length && (state.buffer[n] as DeviceInput).ts < watermark) n++;
  if (n === 0) return { state, released: [] };
  const released = state.buffer.slice(0, n);
  const last = released[n - 1] as DeviceInput;
  return {
    state: {
      clock: state.clock,
      released: last.ts,
      releasedReplacement: isReplacement(last),
      buffer: state.buffer.slice(n),
    },
    released,
  };
}
