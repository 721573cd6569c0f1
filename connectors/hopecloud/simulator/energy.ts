// What a simulated inverter has produced by a given time: a clipped sine from 06:00 to 18:00 local time, peaking at
// noon, integrated in closed form. The counter therefore only grows, and a poll at any time reads the same value
// for the same instant. HopeCloud reports 0.01 kWh resolution (rounded down, so the counter never decreases).
import { DateTime } from "luxon";
import type { SimInverter } from "./fleet.ts";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** ∫ sin(π(h−6)/12) dh over 06:00–18:00: kWh per day per kW of peak. */
const DAY_INTEGRAL = 24 / Math.PI;

function localHours(ms: number, zone: string): { days: number; hour: number } {
  const local = ms + DateTime.fromMillis(ms, { zone }).offset * 60_000;
  const days = Math.floor(local / DAY_MS);
  return { days, hour: (local - days * DAY_MS) / HOUR_MS };
}

/** kWh per kW of peak since the local epoch; non-decreasing, also across DST changes (they happen at night). */
function integral(ms: number, zone: string): number {
  const { days, hour } = localHours(ms, zone);
  const h = Math.min(Math.max(hour, 6), 18);
  return days * DAY_INTEGRAL + (12 / Math.PI) * (1 - Math.cos((Math.PI * (h - 6)) / 12));
}

export function energyKwh(inv: SimInverter, ms: number, zone: string): number {
  const produced = inv.peakKw * Math.max(0, integral(ms, zone) - integral(inv.commissionedMs, zone));
  return Math.floor((inv.baseKwh + produced) * 100) / 100;
}

export function powerKw(inv: SimInverter, ms: number, zone: string): number {
  const { hour } = localHours(ms, zone);
  const sun = hour > 6 && hour < 18 ? Math.sin((Math.PI * (hour - 6)) / 12) : 0;
  return Math.round(inv.peakKw * sun * 1000) / 1000;
}

/** Inverters upload every 5 minutes: the instant of the latest upload at `now`. */
export const latestUpload = (now: number): number => Math.floor(now / 300_000) * 300_000;
