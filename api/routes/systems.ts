// Systems (one installation of a site) and the system-level /now view.
import type pg from "pg";
import { z } from "zod";
import { querySystemSoc } from "../../pipelines/registry/soc-query.ts";
import { type SiteScope, siteScope } from "../auth/scope.ts";
import { rows } from "../db.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { IdOut, Name, RegistryKey, Text, Timestamp } from "../schemas.ts";
import { crudRoutes, getter, type Resource } from "./crud.ts";
import {
  batteryArraysOf,
  connectivityCounts,
  connectivityOf,
  DeviceCounts,
  NodeDevice,
  type NowOptions,
  NowStamp,
  type PackRow,
  Soc,
  SystemSocOut,
  socOptions,
} from "./now.ts";

export const System = z.object({
  id: IdOut,
  site_id: z.string(),
  key: z.string(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const changes = { key: RegistryKey, name: Name.nullable(), description: Text.nullable() };

export const systems: Resource = {
  name: "system",
  singular: "System",
  plural: "Systems",
  tag: "hierarchy",
  path: "/api/v1/systems",
  param: "system_id",
  paramSchema: DbId,
  table: "systems",
  key: "id",
  keyKind: "number",
  select: "SELECT t.* FROM systems t",
  row: System,
  site: "t.site_id",
  filters: { site_id: { schema: RegistryKey, column: "t.site_id" } },
  create: {
    body: z.strictObject({
      site_id: RegistryKey,
      key: RegistryKey,
      name: changes.name.optional(),
      description: changes.description.optional(),
    }),
    columns: ["site_id", "key", "name", "description"],
  },
  update: { body: z.strictObject(changes).partial(), columns: ["key", "name", "description"] },
  delete: true,
};

const SystemNow = z.object({
  system: System.pick({ id: true, site_id: true, key: true, name: true }),
  ...NowStamp,
  battery_soc: SystemSocOut,
  devices: DeviceCounts.meta({
    description: "connectivity of the devices of the system and of its equipment",
  }),
  inverter_arrays: z.array(
    z.object({ id: IdOut, key: z.string(), name: z.string().nullable(), inverters: z.number().int() }),
  ),
  battery_arrays: z.array(z.object({ id: IdOut, key: z.string(), name: z.string().nullable(), soc: Soc })),
  meters: z.array(
    z.object({
      id: IdOut,
      key: z.string(),
      name: z.string().nullable(),
      role: z.string(),
      inverter_array_id: IdOut.nullable(),
      device: NodeDevice,
    }),
  ),
});

async function systemNow(db: pg.Pool, id: number, opts: NowOptions, scope: SiteScope) {
  const now = new Date();
  const system = await getter<z.input<typeof System>>(db, systems)(id, scope);
  const [soc, arrays, packs, meters, deviceIds] = await Promise.all([
    querySystemSoc(db, String(id), socOptions(opts, now)),
    rows<{ id: number; key: string; name: string | null; inverters: number }>(
      db,
      `SELECT a.id, a.key, a.name, (SELECT count(*) FROM inverters i WHERE i.inverter_array_id = a.id) AS inverters
       FROM inverter_arrays a WHERE a.system_id = $1 ORDER BY a.key`,
      [id],
    ),
    rows<PackRow>(
      db,
      `SELECT b.id AS battery_array_id, b.key, b.name, p.id AS pack_id, p.soc_pct, p.soc_observed_at
       FROM battery_arrays b LEFT JOIN battery_packs p ON p.battery_array_id = b.id
       WHERE b.system_id = $1 ORDER BY b.key`,
      [id],
    ),
    rows<{
      id: number;
      key: string;
      name: string | null;
      role: string;
      inverter_array_id: number | null;
      device_id: string | null;
    }>(
      db,
      "SELECT id, key, name, role, inverter_array_id, device_id FROM meters WHERE system_id = $1 ORDER BY key",
      [id],
    ),
    rows<{ device_id: string }>(
      db,
      `SELECT device_id FROM devices WHERE system_id = $1
       UNION SELECT device_id FROM inverters WHERE system_id = $1 AND device_id IS NOT NULL
       UNION SELECT device_id FROM battery_packs WHERE system_id = $1 AND device_id IS NOT NULL
       UNION SELECT device_id FROM meters WHERE system_id = $1 AND device_id IS NOT NULL`,
      [id],
    ),
  ]);
  const device = await connectivityOf(
    db,
    meters.map((m) => m.device_id),
  );
  return {
    system,
    timestamp: now.toISOString(),
    battery_soc: soc,
    devices: await connectivityCounts(
      db,
      deviceIds.map((d) => d.device_id),
    ),
    inverter_arrays: arrays,
    battery_arrays: batteryArraysOf(packs, opts, now).arrays,
    meters: meters.map(({ device_id, ...m }) => ({ ...m, device: device(device_id) })),
  };
}

export function systemRoutes(db: pg.Pool, opts: NowOptions) {
  return [
    ...crudRoutes(db, systems),
    defineRoute({
      method: "get",
      path: "/api/v1/systems/:system_id/now",
      operationId: "getSystemNow",
      summary: "A system now: battery SOC (packs, else inverters), device connectivity, arrays and meters",
      tag: "now",
      role: "viewer",
      request: { params: z.strictObject({ system_id: DbId }) },
      response: { status: 200, description: "The system's current state", schema: SystemNow },
      handler: async ({ params }, c) => systemNow(db, params.system_id, opts, siteScope(c)),
    }),
  ];
}
