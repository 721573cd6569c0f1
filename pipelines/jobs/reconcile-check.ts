// The reconciliation's pure part: what one device's stored rows say about one local day, and the review tickets
// that follow. The ledger's share of the day is computed with the core's own attribution, never re-derived in SQL,
// so a difference means the stored rows disagree, not two implementations of the arithmetic.
import { attribute } from "../core/attribute.ts";
import { civilDate, MS_PER_DAY } from "../core/civil.ts";
import { type ZoneClock, zoneClock } from "../core/hours.ts";

/** A stored ledger interval `(from, to]`. */
export interface Interval {
  from: number;
  to: number;
  delta_wh: number;
  classification: string;
  confidence: string | null;
}

/** What is stored about one device around one local day (the rows may reach outside it; the check clips). */
export interface DeviceDay {
  device_id: string;
  /** Local date, YYYY-MM-DD. */
  date: string;
  timezone: string;
  expected_interval_s: number;
  /** Ledger intervals overlapping the day. */
  intervals: Interval[];
  hourly: { hour_start: number; energy_wh: number }[];
  daily: DayFigures | null;
  jumps: { ts: number; energy_wh_total: number }[];
  /** Reading instants (ms), in any order. */
  readings: number[];
}

export interface DayFigures {
  energy_wh: number;
  hours: number;
}

export interface Ticket {
  /** Null for a group's ticket. */
  device_id: string | null;
  kind: "energy_mismatch" | "device_silent" | "ledger_gap" | "implausible_jump" | "group_mismatch";
  dedupe_key: string;
  details: Record<string, unknown>;
}

export interface CheckOptions {
  /** Missed expected intervals after which a device counts as silent. */
  silentIntervals: number;
  /** Now (ms): a day not over yet is checked only up to now. */
  now: number;
}

export interface DeviceCheck {
  mismatch: boolean;
  tickets: Ticket[];
}

/** The spec's threshold of a low-confidence interval (a gap). */
export const GAP_MS = 6 * 3_600_000;

/** Relative 1e-6, and 1e-6 Wh near zero: the precision energy is reported with. */
export function sameEnergy(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

const iso = (ms: number) => new Date(ms).toISOString();

export function isDate(value: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(value) && civilDate(Date.parse(`${value}T00:00:00Z`) / MS_PER_DAY) === value
  );
}

/** The local date before the one it is at `now` in the clock's zone: the last whole day. */
export function previousDate(now: number, clock: ZoneClock): string {
  return civilDate(Date.parse(`${clock.localDate(now)}T00:00:00Z`) / MS_PER_DAY - 1);
}

/**
 * `[start, end)` of a local date as UTC instants: from its first bucket's start to the next date's. Walked bucket by
 * bucket from a bound no offset (±18 h) can pass, so it agrees with `localDate`, also on a date whose midnight a DST
 * change skips. A date a zone skipped entirely comes out empty.
 */
export function dayBounds(date: string, clock: ZoneClock): { start: number; end: number } {
  let t = clock.bucketOf(Date.parse(`${date}T00:00:00Z`) - 18 * 3_600_000).start;
  while (clock.localDate(t) < date) t = clock.bucketOf(t).end;
  const start = t;
  while (clock.localDate(t) === date) t = clock.bucketOf(t).end;
  return { start, end: t };
}

/** What QuestDB is asked for about a date: every instant any zone's day could touch. */
export function dateWindow(date: string): { from: number; to: number } {
  const midnightZ = Date.parse(`${date}T00:00:00Z`);
  return { from: midnightZ - 18 * 3_600_000, to: midnightZ + MS_PER_DAY + 18 * 3_600_000 };
}

/** The day's share of the ledger: every interval spread over hours as the core does, the day's buckets kept. */
export function ledgerDay(intervals: readonly Interval[], date: string, clock: ZoneClock): DayFigures {
  let energy_wh = 0;
  const hours = new Set<number>();
  for (const i of intervals) {
    for (const share of attribute(i.from, i.to, i.delta_wh, clock)) {
      if (clock.localDate(share.hour_start) !== date) continue;
      energy_wh += share.energy_wh;
      hours.add(share.hour_start);
    }
  }
  return { energy_wh, hours: hours.size };
}

export function hourlyDay(rows: DeviceDay["hourly"], date: string, clock: ZoneClock): DayFigures {
  const mine = rows.filter((h) => clock.localDate(h.hour_start) === date);
  return { energy_wh: mine.reduce((s, h) => s + h.energy_wh, 0), hours: mine.length };
}

/** Why daily, Σ hourly and the ledger's share disagree (energy or number of reported hours); empty when they agree. */
export function compareDay(daily: DayFigures | null, hourly: DayFigures, ledger: DayFigures): string[] {
  const differ = (a: DayFigures, b: DayFigures) =>
    !sameEnergy(a.energy_wh, b.energy_wh) || a.hours !== b.hours;
  const reasons: string[] = [];
  if (daily === null ? hourly.hours > 0 : differ(daily, hourly)) reasons.push("daily_vs_hourly");
  if (differ(hourly, ledger)) reasons.push("hourly_vs_ledger");
  return reasons;
}

/** Stretches of `[start, end)` without a reading that last longer than `thresholdMs`. */
export function silentStretches(
  readings: readonly number[],
  start: number,
  end: number,
  thresholdMs: number,
): { from: number; to: number }[] {
  const inside = readings.filter((t) => t >= start && t < end).sort((a, b) => a - b);
  const marks = [start, ...inside, end];
  const stretches: { from: number; to: number }[] = [];
  for (let i = 1; i < marks.length; i++) {
    const from = marks[i - 1] as number;
    const to = marks[i] as number;
    if (to - from > thresholdMs) stretches.push({ from, to });
  }
  return stretches;
}

/** Checks one device's day and names the tickets it calls for; their dedupe keys make a re-run find them. */
export function checkDevice(day: DeviceDay, options: CheckOptions): DeviceCheck {
  const { device_id, date } = day;
  const clock = zoneClock(day.timezone);
  const tickets: Ticket[] = [];

  const hourly = hourlyDay(day.hourly, date, clock);
  const ledger = ledgerDay(day.intervals, date, clock);
  const reasons = compareDay(day.daily, hourly, ledger);
  if (reasons.length > 0) {
    tickets.push({
      device_id,
      kind: "energy_mismatch",
      dedupe_key: `mismatch:${device_id}:${date}`,
      details: {
        date,
        reasons,
        daily_wh: day.daily?.energy_wh ?? null,
        hourly_wh: hourly.energy_wh,
        ledger_wh: ledger.energy_wh,
        daily_hours: day.daily?.hours ?? null,
        hourly_hours: hourly.hours,
        ledger_hours: ledger.hours,
      },
    });
  }

  const bounds = dayBounds(date, clock);
  const thresholdMs = options.silentIntervals * day.expected_interval_s * 1000;
  const silent = silentStretches(day.readings, bounds.start, Math.min(bounds.end, options.now), thresholdMs);
  if (silent.length > 0) {
    tickets.push({
      device_id,
      kind: "device_silent",
      dedupe_key: `silent:${device_id}:${date}`,
      details: {
        date,
        threshold_s: thresholdMs / 1000,
        silent_s: silent.reduce((s, x) => s + (x.to - x.from), 0) / 1000,
        stretches: silent.map((x) => ({ from: iso(x.from), to: iso(x.to), seconds: (x.to - x.from) / 1000 })),
      },
    });
  }

  for (const i of day.intervals) {
    if (i.to - i.from <= GAP_MS || i.to <= bounds.start || i.from >= bounds.end) continue;
    tickets.push({
      device_id,
      kind: "ledger_gap",
      dedupe_key: `gap:${device_id}:${iso(i.from)}`,
      details: {
        from: iso(i.from),
        to: iso(i.to),
        hours: (i.to - i.from) / 3_600_000,
        delta_wh: i.delta_wh,
        classification: i.classification,
        confidence: i.confidence,
      },
    });
  }

  for (const j of day.jumps) {
    if (clock.localDate(j.ts) !== date) continue;
    tickets.push({
      device_id,
      kind: "implausible_jump",
      dedupe_key: `jump:${device_id}:${iso(j.ts)}`,
      details: { ts: iso(j.ts), energy_wh_total: j.energy_wh_total },
    });
  }
  return { mismatch: reasons.length > 0, tickets };
}
