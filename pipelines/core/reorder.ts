// A per-device reorder buffer for the stream: holds readings until the device's event time has moved
// `allowedLatenessMs` past them, then releases them in ts order. A reading no more than the allowed lateness
// behind the newest one is therefore never released out of order.
//
// It runs once per reading in the stream and in every replay, so an insert builds the new buffer and the released
// readings directly at their sizes instead of copying the buffer several times; the state is never mutated.
import type { Reading } from "./reading.ts";

export interface ReorderState {
  /** The device's event time: its newest reading's ts, or a later instant the caller advanced it to. */
  clock: number | null;
  /** ts of the last released reading. */
  released: number | null;
  /** Held readings, in ts order. */
  buffer: Reading[];
}

export const emptyReorder: ReorderState = { clock: null, released: null, buffer: [] };

/** accepted: held (maybe already released); duplicate: its ts is taken; late: too far behind to place in order. */
export type Arrival = "accepted" | "duplicate" | "late";

export interface Release {
  state: ReorderState;
  /** Readings to fold now, in ts order. */
  released: Reading[];
}

export function insertReading(
  state: ReorderState,
  r: Reading,
  allowedLatenessMs: number,
): Release & { arrival: Arrival } {
  const held = state.buffer;
  // Where r goes in the held readings (they are in ts order, each ts once): after every one not later than it.
  let i = held.length;
  while (i > 0 && (held[i - 1] as Reading).ts > r.ts) i--;
  if (state.released === r.ts || (i > 0 && (held[i - 1] as Reading).ts === r.ts)) {
    return { state, released: [], arrival: "duplicate" };
  }
  if (state.clock !== null && state.clock - r.ts > allowedLatenessMs) {
    return { state, released: [], arrival: "late" };
  }
  const clock = state.clock === null || r.ts > state.clock ? r.ts : state.clock;
  const watermark = clock - allowedLatenessMs;
  // The held readings with r inserted at i, in ts order, split at the watermark: the first n are released. Both
  // parts are built at their size (this runs for every reading).
  let n = 0;
  while (n <= held.length && inserted(held, i, r, n).ts < watermark) n++;
  const released = new Array<Reading>(n);
  for (let k = 0; k < n; k++) released[k] = inserted(held, i, r, k);
  const buffer = new Array<Reading>(held.length + 1 - n);
  for (let k = n; k <= held.length; k++) buffer[k - n] = inserted(held, i, r, k);
  return {
    state: { clock, released: n === 0 ? state.released : (released[n - 1] as Reading).ts, buffer },
    released,
    arrival: "accepted",
  };
}

/** Element k of `held` with `r` inserted at i. */
function inserted(held: readonly Reading[], i: number, r: Reading, k: number): Reading {
  return (k < i ? held[k] : k === i ? r : held[k - 1]) as Reading;
}

/** Moves the device's event time forward to `eventTime` (if later) and releases what it lets go. */
export function advanceClock(state: ReorderState, eventTime: number, allowedLatenessMs: number): Release {
  const clock = state.clock === null || eventTime > state.clock ? eventTime : state.clock;
  return releaseBefore({ clock, released: state.released, buffer: state.buffer }, clock - allowedLatenessMs);
}

/** Releases everything held. */
export function drain(state: ReorderState): Release {
  return releaseBefore(state, Number.POSITIVE_INFINITY);
}

function releaseBefore(state: ReorderState, watermark: number): Release {
  let n = 0;
  while (n < state.buffer.length && (state.buffer[n] as Reading).ts < watermark) n++;
  if (n === 0) return { state, released: [] };
  const released = state.buffer.slice(0, n);
  return {
    state: { clock: state.clock, released: (released[n - 1] as Reading).ts, buffer: state.buffer.slice(n) },
    released,
  };
}
