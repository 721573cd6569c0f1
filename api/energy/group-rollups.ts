// Site, system and inverter-array totals from the stored group rows (QuestDB's views energy_hourly_groups and
// energy_daily_groups, schemas/questdb/groups.ts): a bucket's group total is the sum of its few rows (one per
// system, array and currency within it) instead of the sum of every device row. Same answer and shape as
// rollups.ts's hourTotals and dayTotals over the group's devices.
import type pg from "pg";
import {
  type DayTotal,
  type HourFilter,
  type HourTotal,
  type Match,
  sourceDayTotals,
  sourceDayTotalsQuery,
  sourceHourTotals,
  type TotalsSource,
} from "./rollups.ts";

export type GroupKind = "site" | "system" | "array";

export interface GroupRef {
  kind: GroupKind;
  id: string;
}

const COLUMN: Record<GroupKind, string> = { site: "site_id", system: "system_id", array: "array_id" };

/** The group rows summed: a cost only within one currency, rows per confidence, device rows. */
const GROUP_ROWS: TotalsSource = {
  hourly: "energy_hourly_groups",
  daily: "energy_daily_groups",
  totals: `sum(energy_wh) energy_wh, sum(cost) cost, count_distinct(currency) currencies, min(currency) currency,
  sum(low) low, sum(medium) medium, sum(high) high, sum(devices) devices`,
};

/** `column = $n`: a site's id, a system's or an array's number. */
const of =
  (group: GroupRef): Match =>
  (params) => {
    params.push(group.kind === "site" ? group.id : Number(group.id));
    return `${COLUMN[group.kind]} = $${params.length}`;
  };

/** Per hour, the group's total: hours starting in [from, to), or the hours of a local date. */
export function groupHourTotals(questdb: pg.Pool, group: GroupRef, filter: HourFilter): Promise<HourTotal[]> {
  return sourceHourTotals(questdb, GROUP_ROWS, of(group), filter);
}

/** The statement groupDayTotals sends (also measured by bench/api.ts). */
export function groupDayTotalsQuery(group: GroupRef, first: string, end: string) {
  return sourceDayTotalsQuery(GROUP_ROWS, of(group), first, end);
}

/** Per local date in [first, end), the group's total. */
export async function groupDayTotals(
  questdb: pg.Pool,
  group: GroupRef,
  first: string,
  end: string,
): Promise<DayTotal[]> {
  if (first >= end) return [];
  return sourceDayTotals(questdb, groupDayTotalsQuery(group, first, end));
}
