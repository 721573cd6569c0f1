// HopeCloud communication modules ("divertors"), with seed 000's fields as the registry names them
// (docs/registry.md). The HopeCloud sync keeps them current; these routes let people correct and inspect them.
import type pg from "pg";
import { z } from "zod";
import { DbId } from "../openapi/route.ts";
import { IdOut, Latitude, Longitude, RegistryKey, Text, Timestamp } from "../schemas.ts";
import { crudRoutes, type Resource } from "./crud.ts";

const STATUSES = ["online", "offline", "fault", "unknown"] as const;

export const CommunicationModule = z.object({
  id: IdOut,
  site_id: z.string(),
  hopecloud_id: z.string(),
  hopecloud_user_id: z.string().nullable(),
  serial: z.string().nullable().meta({ description: "HopeCloud equipmentPn" }),
  name: z.string().nullable().meta({ description: "HopeCloud divertorName" }),
  model: z.string().nullable().meta({ description: "HopeCloud deviceType" }),
  firmware: z.string().nullable(),
  iccid: z.string().nullable(),
  operator: z.string().nullable().meta({ description: "HopeCloud operatorType" }),
  rssi: z.number().int().nullable().meta({ description: "HopeCloud's own signal scale, not dBm" }),
  status: z.enum(STATUSES),
  status_code: z
    .number()
    .int()
    .nullable()
    .meta({ description: "raw HopeCloud code: 1 online, 0 offline, 2 fault" }),
  loaded_number: z.number().int().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  start_time: Timestamp.nullable(),
  stop_time: Timestamp.nullable(),
  last_update: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Short = Text.max(200).nullable();
const changes = {
  site_id: RegistryKey,
  hopecloud_user_id: Short,
  serial: Short,
  name: Short,
  model: Short,
  firmware: Short,
  iccid: Short,
  operator: Short,
  rssi: z.number().int().min(-1000).max(1000).nullable(),
  status: z.enum(STATUSES),
  status_code: z.number().int().min(-1000).max(1000).nullable(),
  loaded_number: z.number().int().min(0).nullable(),
  latitude: Latitude.nullable(),
  longitude: Longitude.nullable(),
  start_time: Timestamp.nullable(),
  stop_time: Timestamp.nullable(),
  last_update: Timestamp.nullable(),
};
const COLUMNS = Object.keys(changes);

export const communicationModules: Resource = {
  name: "communication module",
  singular: "CommunicationModule",
  plural: "CommunicationModules",
  tag: "communication-modules",
  path: "/api/v1/communication-modules",
  param: "module_id",
  paramSchema: DbId,
  table: "communication_modules",
  key: "id",
  keyKind: "number",
  select: "SELECT t.* FROM communication_modules t",
  row: CommunicationModule,
  site: "t.site_id",
  filters: {
    site_id: { schema: RegistryKey, column: "t.site_id" },
    status: { schema: z.enum(STATUSES), column: "t.status" },
    hopecloud_id: { schema: z.string().min(1).max(200), column: "t.hopecloud_id" },
  },
  create: {
    body: z.strictObject({
      site_id: RegistryKey,
      hopecloud_id: z.string().min(1).max(200),
      ...z.strictObject(changes).omit({ site_id: true }).partial().shape,
    }),
    columns: ["hopecloud_id", ...COLUMNS],
  },
  update: { body: z.strictObject(changes).partial(), columns: COLUMNS },
  delete: true,
};

export const communicationModuleRoutes = (db: pg.Pool) => crudRoutes(db, communicationModules);
