// What the devices publish: topics (AutoVolt's `autovolt/<device>/…` and the charging stations'
// `<account>/sweet-home/<station>/status-control/connectors-count`) and payload shapes.
import type { FaultKind } from "./fault-kinds.ts";

export interface TelemetryPayload {
  device_id: string;
  /** ISO-8601 UTC with Z. */
  ts: string;
  energy_wh_total: number;
  power_w: number;
  voltage_v: number;
  current_a: number;
  boot_id: string;
  seq: number;
  [extra: string]: string | number;
}

export interface HeartbeatPayload {
  device_id: string;
  ts: string;
  boot_id: string;
  uptime_s: number;
  rssi_dbm: number;
  firmware: string;
}

export interface StatusPayload {
  status: "online" | "offline";
  ts?: string;
}

export type Payload = TelemetryPayload | HeartbeatPayload | StatusPayload | number;

export interface Message {
  topic: string;
  payload: Payload;
  deviceId: string;
  /** Ground truth for tests and fixtures: the fault this message carries. Never published. */
  fault?: FaultKind;
}

export const telemetryTopic = (deviceId: string) => `autovolt/${deviceId}/telemetry`;
export const heartbeatTopic = (deviceId: string) => `autovolt/${deviceId}/heartbeat`;
export const statusTopic = (deviceId: string) => `autovolt/${deviceId}/status`;
export const connectorsCountTopic = (account: string, stationId: string) =>
  `${account}/sweet-home/${stationId}/status-control/connectors-count`;

export const iso = (ms: number): string => new Date(ms).toISOString();

export const statusMessage = (deviceId: string, status: StatusPayload["status"], ms: number): Message => ({
  topic: statusTopic(deviceId),
  payload: { status, ts: iso(ms) },
  deviceId,
});
