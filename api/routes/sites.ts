// Sites: where equipment is, with the time zone its days are counted in.
import type pg from "pg";
import { z } from "zod";
import { Latitude, Longitude, Name, RegistryKey, Timestamp, Timezone } from "../schemas.ts";
import { crudRoutes, type Resource } from "./crud.ts";

const PlantId = z.string().min(1).max(200).meta({ description: "HopeCloud power plant id, as a string" });

export const Site = z.object({
  id: RegistryKey,
  name: z.string(),
  timezone: z.string(),
  emission_factor_kg_per_kwh: z.number(),
  hopecloud_plant_id: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const changes = {
  name: Name,
  timezone: Timezone,
  emission_factor_kg_per_kwh: z.number().min(0),
  hopecloud_plant_id: PlantId.nullable(),
  latitude: Latitude.nullable(),
  longitude: Longitude.nullable(),
};

export const sites: Resource = {
  name: "site",
  singular: "Site",
  plural: "Sites",
  tag: "sites",
  path: "/api/v1/sites",
  param: "site_id",
  paramSchema: RegistryKey,
  table: "sites",
  key: "id",
  keyKind: "string",
  select: "SELECT t.* FROM sites t",
  row: Site,
  site: "t.id",
  createUnscoped: true,
  create: {
    body: z.strictObject({
      id: RegistryKey,
      name: Name,
      timezone: Timezone,
      emission_factor_kg_per_kwh: changes.emission_factor_kg_per_kwh.optional(),
      hopecloud_plant_id: changes.hopecloud_plant_id.optional(),
      latitude: changes.latitude.optional(),
      longitude: changes.longitude.optional(),
    }),
    columns: [
      "id",
      "name",
      "timezone",
      "emission_factor_kg_per_kwh",
      "hopecloud_plant_id",
      "latitude",
      "longitude",
    ],
  },
  update: {
    body: z.strictObject(changes).partial(),
    columns: [
      "name",
      "timezone",
      "emission_factor_kg_per_kwh",
      "hopecloud_plant_id",
      "latitude",
      "longitude",
    ],
  },
};

export const siteRoutes = (db: pg.Pool) => crudRoutes(db, sites);
