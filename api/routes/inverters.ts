// Inverters and their /now view.
import type pg from "pg";
import { z } from "zod";
import { type SiteScope, siteScope } from "../auth/scope.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { ExternalId, IdOut, Name, RegistryKey, Text, Timestamp } from "../schemas.ts";
import { crudRoutes, getter, type Resource, SYSTEM_SITE } from "./crud.ts";
import { connectivityOf, meanOf, NodeDevice, type NowOptions, NowStamp, Soc } from "./now.ts";

export const Inverter = z.object({
  id: IdOut,
  system_id: IdOut,
  inverter_array_id: IdOut,
  key: z.string(),
  name: z.string().nullable(),
  model: z.string().nullable(),
  serial_number: z.string().nullable(),
  rated_power_w: z.number().nullable(),
  adapter_id: IdOut.nullable(),
  device_id: z.string().nullable(),
  soc_pct: z
    .number()
    .nullable()
    .meta({ description: "battery SOC the inverter reports, kept by the stream" }),
  soc_observed_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Id = z.number().int().positive();
const changes = {
  inverter_array_id: Id.meta({ description: "an inverter array of the same system" }),
  key: RegistryKey,
  name: Name.nullable(),
  model: Text.nullable(),
  serial_number: Text.nullable(),
  rated_power_w: z.number().positive().nullable(),
  adapter_id: Id.nullable(),
  device_id: ExternalId.nullable(),
};
const COLUMNS = Object.keys(changes);

export const inverters: Resource = {
  name: "inverter",
  singular: "Inverter",
  plural: "Inverters",
  tag: "hierarchy",
  path: "/api/v1/inverters",
  param: "inverter_id",
  paramSchema: DbId,
  table: "inverters",
  key: "id",
  keyKind: "number",
  select: "SELECT t.* FROM inverters t",
  row: Inverter,
  site: SYSTEM_SITE,
  filters: {
    system_id: { schema: DbId, column: "t.system_id" },
    inverter_array_id: { schema: DbId, column: "t.inverter_array_id" },
  },
  create: {
    body: z.strictObject({
      system_id: Id,
      inverter_array_id: changes.inverter_array_id,
      key: RegistryKey,
      ...z.strictObject(changes).omit({ inverter_array_id: true, key: true }).partial().shape,
    }),
    columns: ["system_id", ...COLUMNS],
  },
  update: { body: z.strictObject(changes).partial(), columns: COLUMNS },
  delete: true,
};

const InverterNow = z.object({
  inverter: Inverter.pick({
    id: true,
    system_id: true,
    inverter_array_id: true,
    key: true,
    name: true,
    model: true,
    rated_power_w: true,
  }),
  ...NowStamp,
  battery_soc: Soc.meta({ description: "the SOC this inverter reports for its battery, if recent enough" }),
  device: NodeDevice,
});

async function inverterNow(db: pg.Pool, id: number, opts: NowOptions, scope: SiteScope) {
  const now = new Date();
  const inverter = await getter<z.input<typeof Inverter>>(db, inverters)(id, scope);
  const device = await connectivityOf(db, [inverter.device_id]);
  return {
    inverter,
    timestamp: now.toISOString(),
    battery_soc: meanOf([inverter], opts, now),
    device: device(inverter.device_id),
  };
}

export function inverterRoutes(db: pg.Pool, opts: NowOptions) {
  return [
    ...crudRoutes(db, inverters),
    defineRoute({
      method: "get",
      path: "/api/v1/inverters/:inverter_id/now",
      operationId: "getInverterNow",
      summary: "An inverter now: the SOC it reports and its device's connectivity",
      tag: "now",
      role: "viewer",
      request: { params: z.strictObject({ inverter_id: DbId }) },
      response: { status: 200, description: "The inverter's current state", schema: InverterNow },
      handler: async ({ params }, c) => inverterNow(db, params.inverter_id, opts, siteScope(c)),
    }),
  ];
}
