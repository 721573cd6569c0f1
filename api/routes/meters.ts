// Meters (of a whole system, or of one inverter array) and their /now view.
import type pg from "pg";
import { z } from "zod";
import { type SiteScope, siteScope } from "../auth/scope.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { ExternalId, IdOut, Name, RegistryKey, Text, Timestamp } from "../schemas.ts";
import { crudRoutes, getter, type Resource, SYSTEM_SITE } from "./crud.ts";
import { connectivityOf, NodeDevice, NowStamp } from "./now.ts";

export const METER_ROLES = ["grid", "load", "pv", "battery", "ev", "generator", "other"] as const;

export const Meter = z.object({
  id: IdOut,
  system_id: IdOut,
  inverter_array_id: IdOut.nullable(),
  key: z.string(),
  name: z.string().nullable(),
  role: z.enum(METER_ROLES),
  model: z.string().nullable(),
  serial_number: z.string().nullable(),
  adapter_id: IdOut.nullable(),
  device_id: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Id = z.number().int().positive();
const changes = {
  inverter_array_id: Id.nullable().meta({ description: "set when the meter measures one inverter array" }),
  key: RegistryKey,
  name: Name.nullable(),
  role: z.enum(METER_ROLES),
  model: Text.nullable(),
  serial_number: Text.nullable(),
  adapter_id: Id.nullable(),
  device_id: ExternalId.nullable(),
};
const COLUMNS = Object.keys(changes);

export const meters: Resource = {
  name: "meter",
  singular: "Meter",
  plural: "Meters",
  tag: "hierarchy",
  path: "/api/v1/meters",
  param: "meter_id",
  paramSchema: DbId,
  table: "meters",
  key: "id",
  keyKind: "number",
  select: "SELECT t.* FROM meters t",
  row: Meter,
  site: SYSTEM_SITE,
  filters: {
    system_id: { schema: DbId, column: "t.system_id" },
    inverter_array_id: { schema: DbId, column: "t.inverter_array_id" },
    role: { schema: z.enum(METER_ROLES), column: "t.role" },
  },
  create: {
    body: z.strictObject({
      system_id: Id,
      key: RegistryKey,
      ...z.strictObject(changes).omit({ key: true }).partial().shape,
    }),
    columns: ["system_id", ...COLUMNS],
  },
  update: { body: z.strictObject(changes).partial(), columns: COLUMNS },
  delete: true,
};

// Power and energy of the meter come from QuestDB (the energy routes); this view is what the registry knows now.
const MeterNow = z.object({
  meter: Meter.pick({
    id: true,
    system_id: true,
    inverter_array_id: true,
    key: true,
    name: true,
    role: true,
  }),
  ...NowStamp,
  device: NodeDevice,
});

async function meterNow(db: pg.Pool, id: number, scope: SiteScope) {
  const meter = await getter<z.input<typeof Meter>>(db, meters)(id, scope);
  const device = await connectivityOf(db, [meter.device_id]);
  return { meter, timestamp: new Date().toISOString(), device: device(meter.device_id) };
}

export function meterRoutes(db: pg.Pool) {
  return [
    ...crudRoutes(db, meters),
    defineRoute({
      method: "get",
      path: "/api/v1/meters/:meter_id/now",
      operationId: "getMeterNow",
      summary: "A meter now: its device's connectivity",
      tag: "now",
      role: "viewer",
      request: { params: z.strictObject({ meter_id: DbId }) },
      response: { status: 200, description: "The meter's current state", schema: MeterNow },
      handler: async ({ params }, c) => meterNow(db, params.meter_id, siteScope(c)),
    }),
  ];
}
