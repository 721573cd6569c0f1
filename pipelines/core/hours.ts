// Local clock hours of a time zone as UTC intervals ("hour buckets"), without a time-zone library call per
// reading: the zone's offset is looked up once per UTC hour and cached, and a bucket is found by arithmetic.
//
// A bucket is named by the UTC instant at which its local hour starts: start = t − ((t + offset) mod 1 h), which is
// right for any offset (:30, :45) and for DST, since each side of a transition has its own offset. A transition is
// also a bucket boundary, which matters only for zones whose transitions are not on the hour (Australia/Lord_Howe).
// The cache only memoises a pure function of (zone, instant), so the functions here stay pure for their callers.
import { IANAZone } from "luxon";
import { civilDate, MS_PER_DAY } from "./civil.ts";

const H = 3_600_000;

/** The offset over one UTC hour: `before` until `at`, `after` from it (`at` is +∞ when there is no transition). */
interface HourOffsets {
  before: number;
  after: number;
  at: number;
}

export interface Bucket {
  /** UTC instant at which the local hour starts. */
  readonly start: number;
  /** Exclusive end: the next bucket's start. */
  readonly end: number;
}

export interface ZoneClock {
  readonly zone: string;
  /** UTC offset in ms at instant `t` (local = t + offset). */
  offsetAt(t: number): number;
  /** The bucket holding instant `t`; the returned object is shared, read it at once. */
  bucketOf(t: number): Bucket;
  /** Local calendar date (YYYY-MM-DD) at instant `t`. */
  localDate(t: number): string;
}

const clocks = new Map<string, ZoneClock>();

export function zoneClock(zone: string): ZoneClock {
  let clock = clocks.get(zone);
  if (clock === undefined) {
    clock = makeClock(zone);
    clocks.set(zone, clock);
  }
  return clock;
}

function makeClock(zone: string): ZoneClock {
  const iana = IANAZone.create(zone);
  if (!iana.isValid) throw new Error(`unknown time zone ${JSON.stringify(zone)}`);
  const offsetMs = (t: number) => iana.offset(t) * 60_000;
  const hours = new Map<number, HourOffsets>();
  let memo: Bucket = { start: 0, end: 0 };

  const hourOffsets = (k: number): HourOffsets => {
    let h = hours.get(k);
    if (h === undefined) {
      // Compared from the millisecond before the hour, so that a transition exactly on the hour belongs to it.
      const t0 = k * H;
      const before = offsetMs(t0 - 1);
      const after = offsetMs(t0 + H - 1);
      let at = Number.POSITIVE_INFINITY;
      if (before !== after) {
        // Binary search for the first millisecond with the new offset (at most one transition an hour).
        let lo = t0 - 1;
        let hi = t0 + H - 1;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (offsetMs(mid) === before) lo = mid;
          else hi = mid;
        }
        at = hi;
      }
      h = { before, after, at };
      hours.set(k, h);
    }
    return h;
  };

  const offsetAt = (t: number): number => {
    const h = hourOffsets(Math.floor(t / H));
    return t < h.at ? h.before : h.after;
  };

  const bucketOf = (t: number): Bucket => {
    if (t >= memo.start && t < memo.end) return memo;
    const offset = offsetAt(t);
    const hourStart = t - mod(t + offset, H);
    let start = hourStart;
    let end = hourStart + H;
    for (let k = Math.floor(hourStart / H); k <= Math.floor((end - 1) / H); k++) {
      const { at } = hourOffsets(k);
      if (at > start && at <= t) start = at;
      else if (at > t && at < end) end = at;
    }
    memo = { start, end };
    return memo;
  };

  const localDate = (t: number) => civilDate(Math.floor((t + offsetAt(t)) / MS_PER_DAY));

  return { zone, offsetAt, bucketOf, localDate };
}

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}
