// Which device timestamps are plausible. A clock far in the future makes every later reading of its device "late"
// (a recalculation each time); a first reading decades old spreads over hundreds of thousands of hours, some before
// 1970, which QuestDB refuses. So a record's `ts` must be no earlier than 2000-01-01T00:00:00Z and no more than
// `maxFutureMs` (WATTLINE_MAX_FUTURE_MS) after the time it was received. Pure: the caller passes the bound.

/** The earliest accepted device time: 2000-01-01T00:00:00.000Z, epoch milliseconds. */
export const EARLIEST_TS = Date.UTC(2000, 0, 1);

/** The default of WATTLINE_MAX_FUTURE_MS: one hour. */
export const DEFAULT_MAX_FUTURE_MS = 3_600_000;

/** The dead-letter reason of a record refused by this rule. */
export const TS_OUT_OF_RANGE = "ts_out_of_range";

/** Why `ts` is implausible against `receivedAt` (both epoch milliseconds), or undefined when it is in range. */
export function tsOutOfRange(ts: number, receivedAt: number, maxFutureMs: number): string | undefined {
  if (!Number.isFinite(ts)) return `ts ${ts} is not a time`;
  if (ts < EARLIEST_TS) return `ts ${iso(ts)} is before ${iso(EARLIEST_TS)}`;
  // Written so that a receive time that is not a number refuses rather than lets anything through.
  if (!(ts - receivedAt <= maxFutureMs)) {
    return `ts ${iso(ts)} is more than ${maxFutureMs} ms after its receive time ${iso(receivedAt)}`;
  }
  return undefined;
}

/** ISO-8601 where Date can say it (±8.64e15 ms), the plain number otherwise. */
function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}
