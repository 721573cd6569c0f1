// A per-device reorder buffer for the stream: holds readings until the device's event time has moved
// `allowedLatenessMs` past them, then releases them in ts order. A reading no more than the allowed lateness
// behind the newest one is therefore never released out of order.
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
  if (state.released === r.ts || state.buffer.some((b) => b.ts === r.ts)) {
    return { state, released: [], arrival: "duplicate" };
  }
  if (state.clock !== null && state.clock - r.ts > allowedLatenessMs) {
    return { state, released: [], arrival: "late" };
  }
  let i = state.buffer.length;
  while (i > 0 && (state.buffer[i - 1] as Reading).ts > r.ts) i--;
  const buffer = [...state.buffer.slice(0, i), r, ...state.buffer.slice(i)];
  const clock = state.clock === null || r.ts > state.clock ? r.ts : state.clock;
  return { ...releaseBefore({ ...state, clock, buffer }, clock - allowedLatenessMs), arrival: "accepted" };
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
  while (n < state.buffer.length && (state.buffer[n] as Reading).ts < watermark) n++;
  if (n === 0) return { state, released: [] };
  const released = state.buffer.slice(0, n);
  return {
    state: { ...state, released: (released[n - 1] as Reading).ts, buffer: state.buffer.slice(n) },
    released,
  };
}
