// Battery packs and their /now view (the pack's own SOC, its batteries and cells).
import type pg from "pg";
import { z } from "zod";
import { type SiteScope, siteScope } from "../auth/scope.ts";
import { rows } from "../db.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { ExternalId, IdOut, Name, RegistryKey, Text, Timestamp } from "../schemas.ts";
import { crudRoutes, getter, type Resource, SYSTEM_SITE } from "./crud.ts";
import { connectivityOf, meanOf, NodeDevice, type NowOptions, NowStamp, Soc } from "./now.ts";

export const BatteryPack = z.object({
  id: IdOut,
  system_id: IdOut,
  battery_array_id: IdOut,
  key: z.string(),
  name: z.string().nullable(),
  model: z.string().nullable(),
  serial_number: z.string().nullable(),
  capacity_kwh: z.number().nullable(),
  adapter_id: IdOut.nullable(),
  device_id: z.string().nullable(),
  soc_pct: z.number().nullable().meta({ description: "the pack's own SOC, kept by the stream" }),
  soc_observed_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Id = z.number().int().positive();
const changes = {
  battery_array_id: Id.meta({ description: "a battery array of the same system" }),
  key: RegistryKey,
  name: Name.nullable(),
  model: Text.nullable(),
  serial_number: Text.nullable(),
  capacity_kwh: z.number().positive().nullable(),
  adapter_id: Id.nullable(),
  device_id: ExternalId.nullable(),
};
const COLUMNS = Object.keys(changes);

export const batteryPacks: Resource = {
  name: "battery pack",
  singular: "BatteryPack",
  plural: "BatteryPacks",
  tag: "hierarchy",
  path: "/api/v1/battery-packs",
  param: "battery_pack_id",
  paramSchema: DbId,
  table: "battery_packs",
  key: "id",
  keyKind: "number",
  select: "SELECT t.* FROM battery_packs t",
  row: BatteryPack,
  site: SYSTEM_SITE,
  filters: {
    system_id: { schema: DbId, column: "t.system_id" },
    battery_array_id: { schema: DbId, column: "t.battery_array_id" },
  },
  create: {
    body: z.strictObject({
      system_id: Id,
      battery_array_id: changes.battery_array_id,
      key: RegistryKey,
      ...z.strictObject(changes).omit({ battery_array_id: true, key: true }).partial().shape,
    }),
    columns: ["system_id", ...COLUMNS],
  },
  update: { body: z.strictObject(changes).partial(), columns: COLUMNS },
  delete: true,
};

const BatteryPackNow = z.object({
  battery_pack: BatteryPack.pick({
    id: true,
    system_id: true,
    battery_array_id: true,
    key: true,
    name: true,
    model: true,
    capacity_kwh: true,
  }),
  ...NowStamp,
  soc: Soc.meta({ description: "the pack's SOC, if recent enough" }),
  soc_observed_at: Timestamp.nullable(),
  device: NodeDevice,
  batteries: z.array(
    z.object({
      id: IdOut,
      key: z.string(),
      model: z.string().nullable(),
      capacity_kwh: z.number().nullable(),
      cells: z.number().int(),
    }),
  ),
});

async function batteryPackNow(db: pg.Pool, id: number, opts: NowOptions, scope: SiteScope) {
  const now = new Date();
  const pack = await getter<z.input<typeof BatteryPack>>(db, batteryPacks)(id, scope);
  const [batteries, device] = await Promise.all([
    rows<{ id: number; key: string; model: string | null; capacity_kwh: number | null; cells: number }>(
      db,
      `SELECT b.id, b.key, b.model, b.capacity_kwh, (SELECT count(*) FROM cells c WHERE c.battery_id = b.id) AS cells
       FROM batteries b WHERE b.battery_pack_id = $1 ORDER BY b.key`,
      [id],
    ),
    connectivityOf(db, [pack.device_id]),
  ]);
  return {
    battery_pack: pack,
    timestamp: now.toISOString(),
    soc: meanOf([pack], opts, now),
    soc_observed_at: pack.soc_observed_at,
    device: device(pack.device_id),
    batteries,
  };
}

export function batteryPackRoutes(db: pg.Pool, opts: NowOptions) {
  return [
    ...crudRoutes(db, batteryPacks),
    defineRoute({
      method: "get",
      path: "/api/v1/battery-packs/:battery_pack_id/now",
      operationId: "getBatteryPackNow",
      summary: "A battery pack now: its SOC, its device's connectivity, its batteries",
      tag: "now",
      role: "viewer",
      request: { params: z.strictObject({ battery_pack_id: DbId }) },
      response: { status: 200, description: "The pack's current state", schema: BatteryPackNow },
      handler: async ({ params }, c) => batteryPackNow(db, params.battery_pack_id, opts, siteScope(c)),
    }),
  ];
}
