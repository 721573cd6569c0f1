// Inverter arrays (a group of inverters of one system) and their /now view.
import type pg from "pg";
import { z } from "zod";
import { type SiteScope, siteScope } from "../auth/scope.ts";
import { rows } from "../db.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { IdOut, Name, RegistryKey, Timestamp } from "../schemas.ts";
import { crudRoutes, getter, type Resource, SYSTEM_SITE } from "./crud.ts";
import {
  batteryArraysOf,
  connectivityOf,
  NodeDevice,
  type NowOptions,
  NowStamp,
  type PackRow,
  packsElseInverters,
  Soc,
  type SocRow,
  SystemSocOut,
} from "./now.ts";

export const InverterArray = z.object({
  id: IdOut,
  system_id: IdOut,
  key: z.string(),
  name: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const inverterArrays: Resource = {
  name: "inverter array",
  singular: "InverterArray",
  plural: "InverterArrays",
  tag: "hierarchy",
  path: "/api/v1/inverter-arrays",
  param: "inverter_array_id",
  paramSchema: DbId,
  table: "inverter_arrays",
  key: "id",
  keyKind: "number",
  select: "SELECT t.* FROM inverter_arrays t",
  row: InverterArray,
  site: SYSTEM_SITE,
  filters: { system_id: { schema: DbId, column: "t.system_id" } },
  create: {
    body: z.strictObject({
      system_id: z.number().int().positive(),
      key: RegistryKey,
      name: Name.nullable().optional(),
    }),
    columns: ["system_id", "key", "name"],
  },
  update: {
    body: z.strictObject({ key: RegistryKey, name: Name.nullable() }).partial(),
    columns: ["key", "name"],
  },
  delete: true,
};

const InverterArrayNow = z.object({
  inverter_array: InverterArray.pick({ id: true, system_id: true, key: true, name: true }),
  ...NowStamp,
  battery_soc: SystemSocOut.meta({
    description: "packs of the battery arrays attached to this array, else this array's inverters",
  }),
  inverters: z.array(
    z.object({
      id: IdOut,
      key: z.string(),
      name: z.string().nullable(),
      soc_pct: z.number().nullable(),
      soc_observed_at: Timestamp.nullable(),
      device: NodeDevice,
    }),
  ),
  battery_arrays: z.array(z.object({ id: IdOut, key: z.string(), name: z.string().nullable(), soc: Soc })),
  meters: z.array(z.object({ id: IdOut, key: z.string(), role: z.string(), device: NodeDevice })),
});

async function inverterArrayNow(db: pg.Pool, id: number, opts: NowOptions, scope: SiteScope) {
  const now = new Date();
  const array = await getter<z.input<typeof InverterArray>>(db, inverterArrays)(id, scope);
  type Node = { id: number; key: string; name: string | null; device_id: string | null };
  const [inverters, packs, meters] = await Promise.all([
    rows<Node & SocRow>(
      db,
      `SELECT id, key, name, device_id, soc_pct, soc_observed_at FROM inverters
       WHERE inverter_array_id = $1 ORDER BY key`,
      [id],
    ),
    rows<PackRow>(
      db,
      `SELECT b.id AS battery_array_id, b.key, b.name, p.id AS pack_id, p.soc_pct, p.soc_observed_at
       FROM battery_array_attachments a JOIN battery_arrays b ON b.id = a.battery_array_id
       LEFT JOIN battery_packs p ON p.battery_array_id = b.id
       WHERE a.inverter_array_id = $1 ORDER BY b.key`,
      [id],
    ),
    rows<Node & { role: string }>(
      db,
      "SELECT id, key, name, role, device_id FROM meters WHERE inverter_array_id = $1 ORDER BY key",
      [id],
    ),
  ]);
  const batteryArrays = batteryArraysOf(packs, opts, now);
  const device = await connectivityOf(
    db,
    [...inverters, ...meters].map((n) => n.device_id),
  );
  return {
    inverter_array: array,
    timestamp: now.toISOString(),
    battery_soc: packsElseInverters(batteryArrays.packs, inverters, opts, now),
    inverters: inverters.map(({ device_id, ...i }) => ({ ...i, device: device(device_id) })),
    battery_arrays: batteryArrays.arrays,
    meters: meters.map(({ device_id, ...m }) => ({ ...m, device: device(device_id) })),
  };
}

export function inverterArrayRoutes(db: pg.Pool, opts: NowOptions) {
  return [
    ...crudRoutes(db, inverterArrays),
    defineRoute({
      method: "get",
      path: "/api/v1/inverter-arrays/:inverter_array_id/now",
      operationId: "getInverterArrayNow",
      summary: "An inverter array now: its inverters, attached battery arrays, SOC and meters",
      tag: "now",
      role: "viewer",
      request: { params: z.strictObject({ inverter_array_id: DbId }) },
      response: { status: 200, description: "The array's current state", schema: InverterArrayNow },
      handler: async ({ params }, c) => inverterArrayNow(db, params.inverter_array_id, opts, siteScope(c)),
    }),
  ];
}
