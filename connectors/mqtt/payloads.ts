// What each kind of MQTT message must contain, and the Avro record it becomes. Device ids come from the topic.
import { z } from "zod";
import { parseTimestamp } from "../../pipelines/core/reading.ts";
import type {
  ChargingConnectorCount,
  DeviceStatus,
  Heartbeat,
  MeterReplacement,
  TelemetryReading,
} from "../../schemas/generated/types.ts";
import { MAX_ID_LENGTH, MAX_TEXT_LENGTH } from "../limits.ts";

export type RouteKind = "telemetry" | "replacement" | "status" | "heartbeat" | "connectors";

export interface Envelope {
  captures: Record<string, string>;
  receivedAt: number;
  source: string;
}

const timestamp = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const parsed = parseTimestamp(value);
  if (typeof parsed === "string") {
    ctx.addIssue({ code: "custom", message: parsed.replace(/^ts: /, "") });
    return z.NEVER;
  }
  return parsed;
});

const optionalNumber = z.number().finite().nullish();
const bootId = z.string().min(1).max(MAX_ID_LENGTH).nullish();
const text = z.string().max(MAX_TEXT_LENGTH);

const telemetryPayload = z.object({
  energy_wh_total: z.number().finite().min(0),
  ts: timestamp.optional(),
  power_w: optionalNumber,
  voltage_v: optionalNumber,
  current_a: optionalNumber,
  switch_state: z
    .union([text.min(1), z.boolean()])
    .transform((v) => (typeof v === "boolean" ? (v ? "on" : "off") : v))
    .nullish(),
  boot_id: bootId,
  seq: z.number().int().min(0).nullish(),
});

const counter = z.number().finite().min(0);

/** A meter replacement: its instant is what it is about, so it has no receive-time default. */
const replacementPayload = z.object({
  ts: timestamp,
  old_final_wh_total: counter.nullish(),
  new_initial_wh_total: counter.nullish(),
});

const statusPayload = z.union([
  z.enum(["online", "offline"]).transform((status) => ({ status, reason: undefined, ts: undefined })),
  z.object({
    status: z.enum(["online", "offline"]),
    reason: z
      .enum(["message", "last_will", "heartbeat", "telemetry", "silence", "cloud", "other"])
      .optional(),
    ts: timestamp.optional(),
  }),
]);

const heartbeatPayload = z.object({
  ts: timestamp.optional(),
  uptime_s: z.number().finite().min(0).nullish(),
  rssi_dbm: z.number().finite().nullish(),
  rssi: z.number().finite().nullish(),
  firmware: text.nullish(),
  boot_id: bootId,
});

const connectorCountPayload = z.union([
  z.number().int().min(0),
  z.object({ count: z.number().int().min(0), ts: timestamp.optional() }),
]);

const device = (e: Envelope) => e.captures.device ?? "";

export const builders = {
  telemetry: (json: unknown, e: Envelope, fields: Record<string, string>): TelemetryReading => {
    const p = telemetryPayload.parse(rename(json, fields));
    return {
      device_id: device(e),
      ts: p.ts ?? e.receivedAt,
      ts_source: p.ts === undefined ? "received" : "device",
      energy_wh_total: p.energy_wh_total,
      power_w: p.power_w ?? null,
      boot_id: p.boot_id ?? null,
      seq: p.seq ?? null,
      switch_state: p.switch_state ?? null,
      voltage_v: p.voltage_v ?? null,
      current_a: p.current_a ?? null,
      source: e.source,
      received_at: e.receivedAt,
    };
  },
  replacement: (json: unknown, e: Envelope): MeterReplacement => {
    const p = replacementPayload.parse(json);
    return {
      device_id: device(e),
      ts: p.ts,
      old_final_wh_total: p.old_final_wh_total ?? null,
      new_initial_wh_total: p.new_initial_wh_total ?? 0,
      source: e.source,
      received_at: e.receivedAt,
    };
  },
  status: (json: unknown, e: Envelope): DeviceStatus => {
    const p = statusPayload.parse(json);
    return {
      device_id: device(e),
      status: p.status,
      reason: p.reason ?? "message",
      ts: p.ts ?? e.receivedAt,
      received_at: e.receivedAt,
      source: e.source,
    };
  },
  heartbeat: (json: unknown, e: Envelope): Heartbeat => {
    const p = heartbeatPayload.parse(json ?? {});
    return {
      device_id: device(e),
      ts: p.ts ?? e.receivedAt,
      uptime_s: p.uptime_s ?? null,
      rssi_dbm: p.rssi_dbm ?? p.rssi ?? null,
      firmware: p.firmware ?? null,
      boot_id: p.boot_id ?? null,
      received_at: e.receivedAt,
      source: e.source,
    };
  },
  connectors: (json: unknown, e: Envelope): ChargingConnectorCount => {
    const p = connectorCountPayload.parse(json);
    const count = typeof p === "number" ? p : p.count;
    return {
      account: e.captures.account ?? "",
      station_id: device(e),
      connectors_count: count,
      ts: (typeof p === "number" ? undefined : p.ts) ?? e.receivedAt,
      received_at: e.receivedAt,
    };
  },
} as const;

/** Applies a route's field renames (device field name → Wattline field name) to a JSON object. */
function rename(json: unknown, fields: Record<string, string>): unknown {
  if (typeof json !== "object" || json === null || Array.isArray(json) || !hasAny(fields)) return json;
  const entries = Object.entries(json as Record<string, unknown>).map(([k, v]) => [fields[k] ?? k, v]);
  return Object.fromEntries(entries);
}

function hasAny(fields: Record<string, string>): boolean {
  for (const _ in fields) return true;
  return false;
}
