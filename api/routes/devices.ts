// Telemetry-producing devices and their energy settings (ENERGY_SEMANTICS.md). Every change reaches the stream
// processors through the devices table's NOTIFY device_settings trigger; the API has nothing else to do for that.
import type pg from "pg";
import { z } from "zod";
import { DbId } from "../openapi/route.ts";
import { ExternalId, IdOut, Name, RegistryKey, Timestamp, Timezone } from "../schemas.ts";
import { crudRoutes, type Resource } from "./crud.ts";

export const DEVICE_KINDS = ["inverter", "battery", "meter", "ev_charger", "classroom", "other"] as const;

export const Connectivity = z.object({
  status: z
    .enum(["online", "offline", "unknown"])
    .meta({ description: "unknown: no status has arrived yet" }),
  last_seen: Timestamp.nullable(),
  changed_at: Timestamp.nullable(),
  reason: z.string().nullable(),
});

export const Device = z.object({
  device_id: z.string(),
  site_id: z.string(),
  system_id: IdOut.nullable(),
  group_name: z.string().nullable(),
  kind: z.enum(DEVICE_KINDS),
  timezone: z.string(),
  max_power_w: z.number().nullable(),
  noise_wh: z.number(),
  counter_persists_across_boot: z.boolean(),
  expected_interval_s: z.number().int(),
  updated_at: Timestamp,
  connectivity: Connectivity,
});

const settings = {
  system_id: z.number().int().positive().nullable(),
  group_name: Name.nullable(),
  timezone: Timezone,
  max_power_w: z.number().positive().nullable().meta({ description: "null: no jump detection" }),
  noise_wh: z.number().min(0),
  counter_persists_across_boot: z.boolean(),
  expected_interval_s: z.number().int().positive().max(86_400),
};
const SETTINGS = Object.keys(settings);

// Inside JSON Postgres writes times as +00:00 with microseconds; this keeps them like every other time of the API.
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A device's connectivity from device_status (alias s), as one JSON object. */
export const CONNECTIVITY_SQL = `json_build_object('status', coalesce(s.status, 'unknown'),
  'last_seen', ${iso("s.last_seen")}, 'changed_at', ${iso("s.changed_at")}, 'reason', s.reason)`;

export const devices: Resource = {
  name: "device",
  singular: "Device",
  plural: "Devices",
  tag: "devices",
  path: "/api/v1/devices",
  param: "device_id",
  paramSchema: ExternalId,
  table: "devices",
  key: "device_id",
  keyKind: "string",
  select: `SELECT t.*, ${CONNECTIVITY_SQL} AS connectivity
           FROM devices t LEFT JOIN device_status s ON s.device_id = t.device_id`,
  row: Device,
  site: "t.site_id",
  filters: {
    site_id: { schema: RegistryKey, column: "t.site_id" },
    system_id: { schema: DbId, column: "t.system_id" },
    kind: { schema: z.enum(DEVICE_KINDS), column: "t.kind" },
  },
  create: {
    body: z.strictObject({
      device_id: ExternalId,
      site_id: RegistryKey,
      kind: z.enum(DEVICE_KINDS),
      ...z.strictObject(settings).partial().shape,
    }),
    columns: ["device_id", "site_id", "kind", ...SETTINGS],
  },
  update: { body: z.strictObject(settings).partial(), columns: SETTINGS },
};

export const deviceRoutes = (db: pg.Pool) => crudRoutes(db, devices);
