// Battery arrays, which inverter arrays they feed (battery_array_attachments), and their /now view.
import type pg from "pg";
import { z } from "zod";
import { queryBatteryArraySoc } from "../../pipelines/registry/soc-query.ts";
import { type SiteScope, siteScope } from "../auth/scope.ts";
import { rows } from "../db.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { IdOut, Name, RegistryKey, Timestamp } from "../schemas.ts";
import { crudRoutes, getter, type Resource, SYSTEM_SITE } from "./crud.ts";
import {
  connectivityOf,
  NodeDevice,
  type NowOptions,
  NowStamp,
  Soc,
  type SocRow,
  socOptions,
} from "./now.ts";

export const BatteryArray = z.object({
  id: IdOut,
  system_id: IdOut,
  key: z.string(),
  name: z.string().nullable(),
  attached_to: z.array(IdOut).meta({ description: "ids of the inverter arrays this battery array feeds" }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const AttachedTo = z
  .array(z.number().int().positive())
  .max(100)
  .meta({ description: "inverter arrays of the same system; replaces the current set" });

export const batteryArrays: Resource = {
  name: "battery array",
  singular: "BatteryArray",
  plural: "BatteryArrays",
  tag: "hierarchy",
  path: "/api/v1/battery-arrays",
  param: "battery_array_id",
  paramSchema: DbId,
  table: "battery_arrays",
  key: "id",
  keyKind: "number",
  select: `SELECT t.*, to_json(array(SELECT a.inverter_array_id FROM battery_array_attachments a
             WHERE a.battery_array_id = t.id ORDER BY a.inverter_array_id)) AS attached_to
           FROM battery_arrays t`,
  row: BatteryArray,
  site: SYSTEM_SITE,
  filters: { system_id: { schema: DbId, column: "t.system_id" } },
  create: {
    body: z.strictObject({
      system_id: z.number().int().positive(),
      key: RegistryKey,
      name: Name.nullable().optional(),
      attached_to: AttachedTo.optional(),
    }),
    columns: ["system_id", "key", "name"],
  },
  update: {
    body: z.strictObject({ key: RegistryKey, name: Name.nullable(), attached_to: AttachedTo }).partial(),
    columns: ["key", "name"],
  },
  // The composite foreign keys of battery_array_attachments refuse an inverter array of another system.
  afterWrite: async (client, id, body) => {
    if (body.attached_to === undefined) return;
    await client.query("DELETE FROM battery_array_attachments WHERE battery_array_id = $1", [id]);
    await client.query(
      `INSERT INTO battery_array_attachments (system_id, battery_array_id, inverter_array_id)
       SELECT b.system_id, b.id, x FROM battery_arrays b, unnest($2::bigint[]) AS x WHERE b.id = $1
       ON CONFLICT DO NOTHING`,
      [id, body.attached_to],
    );
  },
  delete: true,
};

const BatteryArrayNow = z.object({
  battery_array: BatteryArray.pick({ id: true, system_id: true, key: true, name: true, attached_to: true }),
  ...NowStamp,
  soc: Soc.meta({ description: "mean SOC of the packs" }),
  packs: z.array(
    z.object({
      id: IdOut,
      key: z.string(),
      name: z.string().nullable(),
      capacity_kwh: z.number().nullable(),
      soc_pct: z.number().nullable(),
      soc_observed_at: Timestamp.nullable(),
      device: NodeDevice,
    }),
  ),
});

async function batteryArrayNow(db: pg.Pool, id: number, opts: NowOptions, scope: SiteScope) {
  const now = new Date();
  const batteryArray = await getter<z.input<typeof BatteryArray>>(db, batteryArrays)(id, scope);
  const [soc, packs] = await Promise.all([
    queryBatteryArraySoc(db, String(id), socOptions(opts, now)),
    rows<
      SocRow & {
        id: number;
        key: string;
        name: string | null;
        capacity_kwh: number | null;
        device_id: string | null;
      }
    >(
      db,
      `SELECT id, key, name, capacity_kwh, soc_pct, soc_observed_at, device_id FROM battery_packs
       WHERE battery_array_id = $1 ORDER BY key`,
      [id],
    ),
  ]);
  const device = await connectivityOf(
    db,
    packs.map((p) => p.device_id),
  );
  return {
    battery_array: batteryArray,
    timestamp: now.toISOString(),
    soc,
    packs: packs.map(({ device_id, ...p }) => ({ ...p, device: device(device_id) })),
  };
}

export function batteryArrayRoutes(db: pg.Pool, opts: NowOptions) {
  return [
    ...crudRoutes(db, batteryArrays),
    defineRoute({
      method: "get",
      path: "/api/v1/battery-arrays/:battery_array_id/now",
      operationId: "getBatteryArrayNow",
      summary: "A battery array now: the mean SOC of its packs, each pack and its device's connectivity",
      tag: "now",
      role: "viewer",
      request: { params: z.strictObject({ battery_array_id: DbId }) },
      response: { status: 200, description: "The battery array's current state", schema: BatteryArrayNow },
      handler: async ({ params }, c) => batteryArrayNow(db, params.battery_array_id, opts, siteScope(c)),
    }),
  ];
}
