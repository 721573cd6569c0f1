// The NDJSON rows of `wattline compute`: printed energy rounded to 1e-6 Wh (sums stay unrounded), instants as
// UTC ISO-8601.
import type { DeviceResult } from "./batch.ts";
import type { Confidence } from "./confidence.ts";
import type { AnomalyType } from "./outputs.ts";

export interface HourlyRow {
  kind: "hourly";
  device_id: string;
  hour_start: string;
  energy_wh: number;
  confidence: Confidence | null;
  readings: number;
  duplicates: number;
  resets: number;
  replacements: number;
  anomalies: number;
}

export interface DailyRow {
  kind: "daily";
  device_id: string;
  date: string;
  energy_wh: number;
  resets: number;
  replacements: number;
  confidence: Confidence | null;
  hours: number;
  readings: number;
  duplicates: number;
  anomalies: number;
}

export interface AnomalyRow {
  kind: "anomaly";
  device_id: string;
  ts: string;
  type: AnomalyType;
  energy_wh_total: number;
}

/** Rounds to 1e-6 Wh, so that float noise (29.999999999999996) prints as 30; never prints -0. */
export function roundWh(wh: number): number {
  return Math.round(wh * 1e6) / 1e6 + 0;
}

export function isoUtc(t: number): string {
  return new Date(t).toISOString();
}

/** A device's hourly rows, then its daily rows, each in time order. */
export function energyRows(result: DeviceResult): Array<HourlyRow | DailyRow> {
  const { device_id } = result;
  const hourly = result.hourly.map(
    (b): HourlyRow => ({
      kind: "hourly",
      device_id,
      hour_start: isoUtc(b.hour_start),
      energy_wh: roundWh(b.energy_wh),
      confidence: b.confidence,
      readings: b.readings,
      duplicates: b.duplicates,
      resets: b.resets,
      replacements: b.replacements,
      anomalies: b.anomalies,
    }),
  );
  const daily = result.daily.map(
    (d): DailyRow => ({
      kind: "daily",
      device_id,
      date: d.date,
      energy_wh: roundWh(d.energy_wh),
      resets: d.resets,
      replacements: d.replacements,
      confidence: d.confidence,
      hours: d.hours,
      readings: d.readings,
      duplicates: d.duplicates,
      anomalies: d.anomalies,
    }),
  );
  return [...hourly, ...daily];
}

export function anomalyRows(result: DeviceResult): AnomalyRow[] {
  return result.anomalies.map((a) => ({
    kind: "anomaly",
    device_id: a.device_id,
    ts: isoUtc(a.ts),
    type: a.type,
    energy_wh_total: a.energy_wh_total,
  }));
}
