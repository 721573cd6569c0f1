// Loads a watched system from the registry (site zone and emission factor, devices, connectivity) and QuestDB
// (generation per period and the last 24 local hours from the system's stored group rows, energy_daily_groups and
// energy_hourly_groups; the latest readings). Generation is the energy of the system's inverters and the devices
// measuring them (the group rows' `generation`): meters and batteries would count it twice or not at all.

import { DateTime } from "luxon";
import type pg from "pg";
import { zoneClock } from "../../pipelines/core/hours.ts";
import type { SiteScope } from "../auth/scope.ts";
import { row, rows } from "../db.ts";
import { groupFilter, groupHourTotals } from "../energy/group-rollups.ts";
import { directGroupRows } from "../energy/group-rows.ts";
import { dayLabel } from "../energy/local-time.ts";
import { fromUs, inDevices, priced } from "../energy/rollups.ts";
import { SYSTEM_DEVICES_SQL } from "../energy/scope.ts";
import type { Chart, Connectivity, Figures, Power, ReadingOut, SystemInfo } from "./monitoring-data.ts";
import type { SystemBase } from "./system-view.ts";

const H = 3_600_000;
const CHART_HOURS = 24;
/** How far back the latest reading of a device is looked for. */
const LAST_READING_LOOKBACK_MS = 24 * H;

export interface LoadDeps {
  postgres: pg.Pool;
  questdb: pg.Pool;
}

/** Whether the system exists and is of `scope`'s sites (any site when unscoped). */
export const systemExists = async (db: pg.Pool, id: number, scope: SiteScope) =>
  (await row(db, "SELECT 1 FROM systems WHERE id = $1 AND ($2::text[] IS NULL OR site_id = ANY($2))", [
    id,
    scope ?? null,
  ])) !== undefined;

async function registry(db: pg.Pool, id: number) {
  const info = await row<SystemInfo>(
    db,
    `SELECT y.id AS system_id, y.site_id, y.name, s.timezone, s.emission_factor_kg_per_kwh
     FROM systems y JOIN sites s ON s.id = y.site_id WHERE y.id = $1`,
    [id],
  );
  const devices = await rows<{ device_id: string; generation: boolean; status: Connectivity | null }>(
    db,
    `SELECT d.device_id, d.kind = 'inverter' OR EXISTS (
              SELECT 1 FROM inverters i WHERE i.device_id = d.device_id AND i.system_id = $1) AS generation,
            st.status
     FROM (${SYSTEM_DEVICES_SQL}) x JOIN devices d ON d.device_id = x.device_id
     LEFT JOIN device_status st ON st.device_id = d.device_id`,
    [id],
  );
  return { info, devices };
}

const generationOf = (system: number) => ({ kind: "system" as const, id: String(system), generation: true });

async function figures(questdb: pg.Pool, system: number, zone: string, now: number): Promise<Figures> {
  const today = zoneClock(zone).localDate(now);
  const params: unknown[] = [dayLabel(today), dayLabel(`${today.slice(0, 8)}01`)];
  const period = (name: string, when: string) =>
    `sum(CASE WHEN ${when} THEN energy_wh END) ${name}_wh, sum(CASE WHEN ${when} THEN cost END) ${name}_cost,
     count_distinct(CASE WHEN ${when} THEN currency END) ${name}_currencies, min(CASE WHEN ${when} THEN currency END) ${name}_currency`;
  const {
    rows: [r],
  } = await questdb.query<Record<string, number | string | null>>(
    `SELECT ${period("today", "day = $1")}, ${period("month", "day >= $2")}, ${period("total", "true")}
     FROM energy_daily_groups WHERE ${groupFilter(generationOf(system), params)}`,
    params,
  );
  const of = (name: string) => ({
    wh: Number(r?.[`${name}_wh`] ?? 0),
    priced: priced({
      cost: (r?.[`${name}_cost`] as number | null) ?? null,
      currencies: String(r?.[`${name}_currencies`] ?? 0),
      currency: (r?.[`${name}_currency`] as string | null) ?? null,
    }),
  });
  const [t, m, all] = [of("today"), of("month"), of("total")];
  return {
    today_wh: t.wh,
    month_wh: m.wh,
    total_wh: all.wh,
    today: t.priced,
    month: m.priced,
    total: all.priced,
  };
}

/** The last 24 local hours up to the current one, each with its generation in kWh. */
async function chart(questdb: pg.Pool, system: number, zone: string, now: number): Promise<Chart> {
  const clock = zoneClock(zone);
  const starts = [clock.bucketOf(now).start];
  while (starts.length < CHART_HOURS) starts.unshift(clock.bucketOf((starts[0] as number) - 1).start);
  const first = starts[0] as number;
  const values = starts.map(() => 0);
  const index = new Map(starts.map((s, i) => [s, i]));
  // A device counted on another clock than the site's has its hours placed in the site hour they start in.
  const hours = await groupHourTotals(directGroupRows(questdb), generationOf(system), {
    from: first,
    to: clock.bucketOf(now).end,
  });
  for (const h of hours) {
    const i = index.get(clock.bucketOf(h.hour_start).start);
    if (i !== undefined) values[i] = (values[i] as number) + h.energy_wh / 1000;
  }
  return {
    labels: starts.map((s) => DateTime.fromMillis(s, { zone }).toFormat("HH:mm")),
    hour_starts: starts.map((s) => new Date(s).toISOString()),
    values,
  };
}

async function latestReadings(questdb: pg.Pool, devices: string[], now: number) {
  if (devices.length === 0) return [];
  const params: unknown[] = [new Date(now - LAST_READING_LOOKBACK_MS).toISOString()];
  const { rows: found } = await questdb.query<{
    device_id: string;
    t: string;
    power_w: number | null;
    energy_wh_total: number;
  }>(
    `SELECT device_id, cast(ts AS long) t, power_w, energy_wh_total FROM readings
     WHERE ts >= $1 AND ${inDevices(devices, params)} LATEST ON ts PARTITION BY device_id`,
    params,
  );
  return found.map((r) => ({ ...r, ts: fromUs(r.t) }));
}

/** The system's base as of `now`; undefined when there is no such system. */
export async function loadSystem(deps: LoadDeps, id: number, now: number): Promise<SystemBase | undefined> {
  const { info, devices } = await registry(deps.postgres, id);
  if (info === undefined) return undefined;
  const all = devices.map((d) => d.device_id);
  const generation = devices.filter((d) => d.generation).map((d) => d.device_id);
  const [fig, series, latest] = await Promise.all([
    figures(deps.questdb, id, info.timezone, now),
    chart(deps.questdb, id, info.timezone, now),
    latestReadings(deps.questdb, all, now),
  ]);
  const generating = new Set(generation);
  const power = new Map<string, Power>();
  let lastReading: ReadingOut | null = null;
  for (const r of latest) {
    if (generating.has(r.device_id) && r.power_w !== null)
      power.set(r.device_id, { ts: r.ts, power_w: r.power_w });
    if (lastReading === null || Date.parse(lastReading.ts) < r.ts)
      lastReading = {
        device_id: r.device_id,
        ts: new Date(r.ts).toISOString(),
        power_w: r.power_w,
        energy_wh_total: r.energy_wh_total,
      };
  }
  return {
    info,
    statuses: new Map(devices.map((d) => [d.device_id, d.status ?? undefined])),
    generation: generating,
    figures: fig,
    chart: series,
    power,
    lastReading,
  };
}
