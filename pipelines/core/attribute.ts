// Spreads an interval's energy over the local hours it overlaps, in proportion to the overlap (spec: "Attribution").
import type { ZoneClock } from "./hours.ts";

export interface HourShare {
  hour_start: number;
  energy_wh: number;
}

/**
 * The shares of `(from, to]` (from ≤ to), in time order; they sum to `delta_wh`. A zero-length interval (a final
 * value read at the instant of the last reading) carries its delta in the bucket holding that instant.
 */
export function attribute(from: number, to: number, delta_wh: number, clock: ZoneClock): HourShare[] {
  if (from === to) return [{ hour_start: clock.bucketOf(to).start, energy_wh: delta_wh }];
  // Most intervals lie within one hour: all of the delta is its share (what the loop below gives, without
  // growing an array for it; this runs for every reading).
  if (from < to) {
    const first = clock.bucketOf(from);
    if (to <= first.end) return [{ hour_start: first.start, energy_wh: delta_wh }];
  }
  const shares: HourShare[] = [];
  const duration = to - from;
  let cursor = from;
  let before = 0;
  while (cursor < to) {
    const bucket = clock.bucketOf(cursor);
    const end = Math.min(bucket.end, to);
    // Differences of the energy accumulated up to each boundary: never negative (rounding is monotonic), and the
    // last boundary is the delta itself, so no rounding of it is lost.
    const upToEnd = end === to ? delta_wh : (delta_wh * (end - from)) / duration;
    shares.push({ hour_start: bucket.start, energy_wh: upToEnd - before });
    before = upToEnd;
    cursor = end;
  }
  return shares;
}
