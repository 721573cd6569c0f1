// Site, system and inverter-array totals from the stored group rows (QuestDB's views energy_hourly_groups and
// energy_daily_groups, schemas/questdb/groups.ts) instead of the sum of every device row. A bucket has a few group
// rows (one per system, array and currency within the group); they are read as they are and added up here, which
// under concurrent requests is quicker than a GROUP BY in QuestDB for so few rows. Same answer and shape as
// rollups.ts's hourTotals and dayTotals over the group's devices.
import type { GroupRows } from "./group-rows.ts";
import { dayLabel } from "./local-time.ts";
import {
  type DayTotal,
  fromUs,
  type HourFilter,
  type HourTotal,
  hoursOf,
  type TotalsRow,
  totals,
} from "./rollups.ts";

export type GroupKind = "site" | "system" | "array";

export interface GroupRef {
  kind: GroupKind;
  id: string;
  /** Only the generation rows: inverters and the devices measuring them. */
  generation?: boolean;
}

const COLUMN: Record<GroupKind, string> = { site: "site_id", system: "system_id", array: "array_id" };

const FIGURES = "energy_wh, cost, currency, low, medium, high, devices";

interface GroupRow {
  t: string;
  energy_wh: number | null;
  cost: number | null;
  currency: string | null;
  low: string;
  medium: string;
  high: string;
  devices: string;
  resets?: string | null;
  hours?: string | null;
}

/** A bucket's rows added up as rollups.ts's TOTALS sums device rows; counts kept as numbers until the end. */
interface Sum {
  t: string;
  energy_wh: number | null;
  cost: number | null;
  names: Set<string>;
  counts: Record<(typeof COUNTS)[number], number>;
  resets: number;
  hours: number;
}

const COUNTS = ["low", "medium", "high", "devices"] as const;

/** Each bucket's sum, in time order (QuestDB returns a scan's rows in it; sorted anyway, on numbers). */
function sums(rows: readonly GroupRow[]): (TotalsRow & { resets: number; hours: number })[] {
  const byT = new Map<string, Sum>();
  for (const r of rows) {
    let s = byT.get(r.t);
    if (s === undefined) {
      s = {
        t: r.t,
        energy_wh: null,
        cost: null,
        names: new Set(),
        counts: { low: 0, medium: 0, high: 0, devices: 0 },
        resets: 0,
        hours: 0,
      };
      byT.set(r.t, s);
    }
    if (r.energy_wh !== null) s.energy_wh = (s.energy_wh ?? 0) + r.energy_wh;
    if (r.cost !== null) s.cost = (s.cost ?? 0) + r.cost;
    if (r.currency !== null) s.names.add(r.currency);
    for (const c of COUNTS) s.counts[c] += Number(r[c]);
    s.resets += Number(r.resets ?? 0);
    s.hours += Number(r.hours ?? 0);
  }
  return [...byT.values()]
    .sort((a, b) => Number(a.t) - Number(b.t))
    .map((s) => ({
      t: s.t,
      energy_wh: s.energy_wh,
      cost: s.cost,
      currencies: String(s.names.size),
      currency: [...s.names].sort()[0] ?? null,
      low: String(s.counts.low),
      medium: String(s.counts.medium),
      high: String(s.counts.high),
      devices: String(s.counts.devices),
      resets: s.resets,
      hours: s.hours,
    }));
}

/** `column = $n`, the id (a number for systems and arrays) appended to `params`. */
export function groupFilter(group: GroupRef, params: unknown[]): string {
  params.push(group.kind === "site" ? group.id : Number(group.id));
  return `${COLUMN[group.kind]} = $${params.length}${group.generation ? " AND generation" : ""}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Per hour, the group's total: hours starting in [from, to), or the hours of a local date. */
export async function groupHourTotals(
  source: GroupRows,
  group: GroupRef,
  filter: HourFilter,
): Promise<HourTotal[]> {
  const values: unknown[] = [];
  const rows = await source.rows<GroupRow>({
    text: `SELECT cast(hour_start AS long) t, ${FIGURES} FROM energy_hourly_groups
     WHERE ${hoursOf(filter, values)} AND ${groupFilter(group, values)}`,
    values,
  });
  return sums(rows).map((s) => ({ hour_start: fromUs(s.t), ...totals(s) }));
}

/** The statement groupDayTotals sends (also measured by bench/api.ts): the group rows, not summed. */
export function groupDayTotalsQuery(group: GroupRef, first: string, end: string) {
  const params: unknown[] = [dayLabel(first), dayLabel(end)];
  const text = `SELECT cast(day AS long) t, ${FIGURES}, resets, hours FROM energy_daily_groups
     WHERE day >= $1 AND day < $2 AND ${groupFilter(group, params)}`;
  return { text, values: params };
}

/** Per local date in [first, end), the group's total. */
export async function groupDayTotals(
  source: GroupRows,
  group: GroupRef,
  first: string,
  end: string,
): Promise<DayTotal[]> {
  if (first >= end) return [];
  const rows = await source.rows<GroupRow>(groupDayTotalsQuery(group, first, end));
  return sums(rows).map((s) => ({
    date: iso(fromUs(s.t)).slice(0, 10),
    ...totals(s),
    resets: s.resets,
    hours: s.hours,
  }));
}
