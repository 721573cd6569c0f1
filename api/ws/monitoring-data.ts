// What a client of /ws/monitoring/:system_id receives (seed 002's MonitoringData, from real data), built by pure
// functions from what was loaded (rollups, registry) and what the feed has seen since (power, status, readings).
import { solarFigures } from "../../pipelines/core/cost.ts";
import type { Priced } from "../energy/rollups.ts";

export type Connectivity = "online" | "offline";

export interface SystemInfo {
  system_id: number;
  site_id: string;
  name: string | null;
  timezone: string;
  emission_factor_kg_per_kwh: number;
}

/** Generation energy (Wh) and its cost per period, from energy_daily, in the site's zone. */
export interface Figures {
  today_wh: number;
  month_wh: number;
  total_wh: number;
  today: Priced;
  month: Priced;
  total: Priced;
}

export interface Chart {
  labels: string[];
  hour_starts: string[];
  /** kWh per hour: the hour's average power in kW. */
  values: number[];
}

export interface ReadingOut {
  device_id: string;
  ts: string;
  power_w: number | null;
  energy_wh_total: number;
}

/** A device's latest power, epoch ms. */
export interface Power {
  ts: number;
  power_w: number;
}

export interface Live {
  /** Every device of the system: its connectivity, undefined when none has arrived. */
  statuses: ReadonlyMap<string, Connectivity | undefined>;
  /** Generation devices' latest power. */
  power: ReadonlyMap<string, Power>;
  lastReading: ReadingOut | null;
}

export type SystemStatus = "online" | "offline" | "unknown";

export interface DeviceCounts {
  total: number;
  online: number;
  offline: number;
  unknown: number;
}

export function deviceCounts(statuses: Live["statuses"]): DeviceCounts {
  const counts = { total: statuses.size, online: 0, offline: 0, unknown: 0 };
  for (const s of statuses.values()) counts[s ?? "unknown"]++;
  return counts;
}

/** online when any device is, offline when every device with a status is offline, else unknown. */
export function systemStatus(c: DeviceCounts): SystemStatus {
  if (c.online > 0) return "online";
  return c.offline > 0 ? "offline" : "unknown";
}

/** The sum of the generation devices' latest power reported within `windowMs` before `now`, in kW. */
export function currentKw(power: Live["power"], now: number, windowMs: number): number {
  let watts = 0;
  for (const p of power.values()) if (p.ts >= now - windowMs) watts += p.power_w;
  return watts / 1000;
}

export interface UpdateData {
  system_id: number;
  status: SystemStatus;
  devices: DeviceCounts;
  current_generation_kw: number;
  last_reading: ReadingOut | null;
  /** Readings seen since the previous message, oldest first. */
  readings: ReadingOut[];
  last_updated: string;
}

export function updateData(
  info: SystemInfo,
  live: Live,
  readings: ReadingOut[],
  now: number,
  windowMs: number,
): UpdateData {
  const devices = deviceCounts(live.statuses);
  return {
    system_id: info.system_id,
    status: systemStatus(devices),
    devices,
    current_generation_kw: currentKw(live.power, now, windowMs),
    last_reading: live.lastReading,
    readings,
    last_updated: new Date(now).toISOString(),
  };
}

export function monitoringData(
  info: SystemInfo,
  generationDevices: number,
  figures: Figures,
  chart: Chart,
  live: Live,
  now: number,
  windowMs: number,
) {
  const { readings: _, ...update } = updateData(info, live, [], now, windowMs);
  // Savings are the priced rollups' cost (each hour at the tariff then in force), not one tariff times the energy;
  // solarFigures gives the CO2 and tree equivalents at the site's emission factor.
  const impact = solarFigures(figures.total_wh, 0, info.emission_factor_kg_per_kwh);
  return {
    ...update,
    site_id: info.site_id,
    name: info.name,
    timezone: info.timezone,
    generation_devices: generationDevices,
    today_generation_kwh: figures.today_wh / 1000,
    monthly_generation_kwh: figures.month_wh / 1000,
    total_generation_kwh: figures.total_wh / 1000,
    today_savings: figures.today.cost,
    monthly_savings: figures.month.cost,
    total_savings: figures.total.cost,
    // Periods nest, so every non-null savings figure is in the widest one's single currency.
    currency: figures.total.currency ?? figures.month.currency ?? figures.today.currency,
    co2_offset_kg: impact.co2_offset_kg,
    trees_planted_equivalent: impact.trees_equivalent,
    emission_factor_kg_per_kwh: info.emission_factor_kg_per_kwh,
    chart_data: chart,
  };
}

export type MonitoringData = ReturnType<typeof monitoringData>;
