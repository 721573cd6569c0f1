// The shapes the app reads from the API (docs/api.md; /openapi.json has every schema).
export type Role = "viewer" | "operator" | "admin";

export interface Session {
  name: string;
  role: Role;
  prefix: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Site {
  id: string;
  name: string;
  timezone: string;
}

export interface System {
  id: number;
  site_id: string;
  key: string;
  name: string | null;
}

export interface InverterArray {
  id: number;
  system_id: number;
  key: string;
  name: string | null;
}

export type Connectivity = "online" | "offline" | "unknown";

export interface Device {
  device_id: string;
  site_id: string;
  system_id: number | null;
  kind: string;
  timezone: string;
  connectivity: { status: Connectivity; last_seen: string | null };
}

export interface ReviewTicket {
  id: number;
  device_id: string | null;
  kind: string;
  details: Record<string, unknown>;
  status: "open" | "resolved";
  created_at: string;
}

export interface DeviceCounts {
  total: number;
  online: number;
  offline: number;
  unknown: number;
}

export interface ReadingOut {
  device_id: string;
  ts: string;
  power_w: number | null;
  energy_wh_total: number;
}

/** The live feed's snapshot: seed 002's MonitoringData from real data. */
export interface Snapshot {
  system_id: number;
  site_id: string;
  name: string | null;
  timezone: string;
  status: Connectivity;
  devices: DeviceCounts;
  generation_devices: number;
  current_generation_kw: number;
  today_generation_kwh: number;
  monthly_generation_kwh: number;
  total_generation_kwh: number;
  today_savings: number | null;
  monthly_savings: number | null;
  total_savings: number | null;
  currency: string | null;
  co2_offset_kg: number;
  trees_planted_equivalent: number;
  last_reading: ReadingOut | null;
  last_updated: string;
  chart_data: { labels: string[]; hour_starts: string[]; values: number[] };
}

export type Update = Pick<
  Snapshot,
  "system_id" | "status" | "devices" | "current_generation_kw" | "last_reading" | "last_updated"
> & { readings: ReadingOut[] };

export interface Broadcast {
  broadcast_id: string;
  message: unknown;
  sent_by: string;
  sent_at: string;
}

export type FeedMessage =
  | { type: "snapshot"; data: Snapshot }
  | { type: "update"; data: Update }
  | { type: "broadcast"; data: Broadcast };

export type Confidence = "high" | "medium" | "low" | null;

export interface HourRow {
  hour_start: string;
  local_time: string;
  energy_wh: number;
  cost: number | null;
  currency: string | null;
  confidence: Confidence;
  devices: number;
}

export interface DayRow {
  date: string;
  energy_wh: number;
  cost: number | null;
  currency: string | null;
  resets: number;
  hours: number;
  confidence: Confidence;
  devices: number;
}

export interface EnergyAnswer<R> {
  timezone: string;
  rows: R[];
}
