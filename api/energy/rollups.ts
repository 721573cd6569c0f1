// Group totals straight from the QuestDB rollups (energy_hourly, energy_daily): QuestDB sums the group's rows, the
// device ids are bound parameters ($n over PGWire), times travel as epoch microseconds so that no client time zone
// applies. Costs are summed only within one currency: a group priced in two currencies has no single cost.
import type pg from "pg";
import type { Confidence } from "../../pipelines/core/confidence.ts";
import { dayLabel } from "./local-time.ts";

export interface Priced {
  cost: number | null;
  currency: string | null;
}

export interface HourTotal extends Priced {
  /** Epoch ms of the local hour's start. */
  hour_start: number;
  energy_wh: number;
  confidence: Confidence | null;
  /** Devices with a row in this hour. */
  devices: number;
}

export interface DayTotal extends Priced {
  /** Local date, YYYY-MM-DD. */
  date: string;
  energy_wh: number;
  resets: number;
  /** Device-hours with energy: a device's reported hour buckets, summed over the group. */
  hours: number;
  confidence: Confidence | null;
  devices: number;
}

export interface DeviceDay extends Priced {
  device_id: string;
  energy_wh: number;
  resets: number;
  hours: number;
  confidence: Confidence | null;
}

/** Aggregates every group query shares: energy, cost within one currency, rows per confidence. */
const TOTALS = `sum(energy_wh) energy_wh, sum(cost) cost, count_distinct(currency) currencies, min(currency) currency,
  sum(CASE WHEN confidence = 'low' THEN 1 ELSE 0 END) low, sum(CASE WHEN confidence = 'medium' THEN 1 ELSE 0 END) medium,
  sum(CASE WHEN confidence = 'high' THEN 1 ELSE 0 END) high, count() devices`;

export interface TotalsRow {
  t: string;
  energy_wh: number | null;
  cost: number | null;
  currencies: string;
  currency: string | null;
  low: string;
  medium: string;
  high: string;
  devices: string;
}

/** `device_id IN ($k, …)`, the ids appended to `params`. */
export function inDevices(devices: readonly string[], params: unknown[]): string {
  const marks = devices.map((d) => {
    params.push(d);
    return `$${params.length}`;
  });
  return `device_id IN (${marks.join(", ")})`;
}

export const fromUs = (us: string) => Number(BigInt(us) / 1000n);
const iso = (ms: number) => new Date(ms).toISOString();

export const priced = (r: { cost: number | null; currencies: string; currency: string | null }): Priced =>
  Number(r.currencies) === 1 ? { cost: r.cost, currency: r.currency } : { cost: null, currency: null };

/** The lowest confidence among the rows counted; null when no row had one. */
const lowest = (r: { low: string; medium: string; high: string }): Confidence | null =>
  Number(r.low) > 0 ? "low" : Number(r.medium) > 0 ? "medium" : Number(r.high) > 0 ? "high" : null;

export const totals = (r: TotalsRow) => ({
  energy_wh: r.energy_wh ?? 0,
  ...priced(r),
  confidence: lowest(r),
  devices: Number(r.devices),
});

export type HourFilter = { from: number; to: number } | { date: string };

/** The condition selecting the filter's hours, its values appended to `params`. */
export const hoursOf = (filter: HourFilter, params: unknown[]): string =>
  "date" in filter
    ? `local_date = $${params.push(filter.date)}`
    : `hour_start >= $${params.push(iso(filter.from))} AND hour_start < $${params.push(iso(filter.to))}`;

/** Per hour, the group's total: hours starting in [from, to), or the hours of a local date. */
export async function hourTotals(
  questdb: pg.Pool,
  devices: readonly string[],
  filter: HourFilter,
): Promise<HourTotal[]> {
  if (devices.length === 0) return [];
  const params: unknown[] = [];
  const { rows } = await questdb.query<TotalsRow>(
    `SELECT cast(hour_start AS long) t, ${TOTALS} FROM energy_hourly
     WHERE ${hoursOf(filter, params)} AND ${inDevices(devices, params)} ORDER BY t`,
    params,
  );
  return rows.map((r) => ({ hour_start: fromUs(r.t), ...totals(r) }));
}

/** The statement dayTotals sends (also the baseline of bench/api.ts). */
export function dayTotalsQuery(devices: readonly string[], first: string, end: string) {
  const params: unknown[] = [dayLabel(first), dayLabel(end)];
  const text = `SELECT cast(day AS long) t, ${TOTALS}, sum(resets) resets, sum(hours) hours FROM energy_daily
     WHERE day >= $1 AND day < $2 AND ${inDevices(devices, params)} ORDER BY t`;
  return { text, values: params };
}

/** Per local date in [first, end), the group's total. */
export async function dayTotals(
  questdb: pg.Pool,
  devices: readonly string[],
  first: string,
  end: string,
): Promise<DayTotal[]> {
  if (devices.length === 0 || first >= end) return [];
  const { rows } = await questdb.query<TotalsRow & { resets: string | null; hours: string | null }>(
    dayTotalsQuery(devices, first, end),
  );
  return rows.map((r) => ({
    date: iso(fromUs(r.t)).slice(0, 10),
    ...totals(r),
    resets: Number(r.resets ?? 0),
    hours: Number(r.hours ?? 0),
  }));
}

/** Each device's row of one local date (devices without one are left out). */
export async function deviceDays(
  questdb: pg.Pool,
  devices: readonly string[],
  date: string,
): Promise<DeviceDay[]> {
  if (devices.length === 0) return [];
  const params: unknown[] = [dayLabel(date)];
  const { rows } = await questdb.query<{
    device_id: string;
    energy_wh: number | null;
    cost: number | null;
    currency: string | null;
    resets: number | null;
    hours: number | null;
    confidence: Confidence | null;
  }>(
    `SELECT device_id, energy_wh, cost, currency, resets, hours, confidence FROM energy_daily
     WHERE day = $1 AND ${inDevices(devices, params)}`,
    params,
  );
  return rows
    .map((r) => ({
      device_id: r.device_id,
      energy_wh: r.energy_wh ?? 0,
      cost: r.cost,
      currency: r.currency,
      resets: r.resets ?? 0,
      hours: r.hours ?? 0,
      confidence: r.confidence,
    }))
    .sort((a, b) => (a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0));
}
