// EV charging stations and their points (read-only here: `wattline charging reconcile` and the charging processor
// create points from the connector counts the stations report).
import type pg from "pg";
import { z } from "zod";
import { DbId } from "../openapi/route.ts";
import { IdOut, RegistryKey, Timestamp } from "../schemas.ts";
import { crudRoutes, type Resource } from "./crud.ts";

export const ChargingPoint = z.object({
  id: IdOut,
  station_id: IdOut,
  point_number: z.number().int().meta({ description: "connector number on the station, from 1" }),
  created_at: Timestamp,
});

export const ChargingStation = z.object({
  id: IdOut,
  external_id: z.string(),
  name: z.string().nullable(),
  site_id: z.string().nullable(),
  device_id: z.string().nullable(),
  points: z.array(ChargingPoint.pick({ id: true, point_number: true })),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const chargingStations: Resource = {
  name: "charging station",
  singular: "ChargingStation",
  plural: "ChargingStations",
  tag: "charging",
  path: "/api/v1/charging-stations",
  param: "station_id",
  paramSchema: DbId,
  table: "charging_stations",
  key: "id",
  keyKind: "number",
  select: `SELECT t.id, t.external_id, t.name, t.site_id, t.device_id, t.created_at, t.updated_at,
             coalesce((SELECT json_agg(json_build_object('id', p.id, 'point_number', p.point_number)
                                ORDER BY p.point_number)
                       FROM charging_points p WHERE p.station_id = t.id), '[]') AS points
           FROM charging_stations t`,
  row: ChargingStation,
  // A station of no site is seen by unscoped keys only.
  site: "t.site_id",
  filters: { site_id: { schema: RegistryKey, column: "t.site_id" } },
};

export const chargingPoints: Resource = {
  name: "charging point",
  singular: "ChargingPoint",
  plural: "ChargingPoints",
  tag: "charging",
  path: "/api/v1/charging-points",
  param: "point_id",
  paramSchema: DbId,
  table: "charging_points",
  key: "id",
  keyKind: "number",
  select: "SELECT t.* FROM charging_points t",
  row: ChargingPoint,
  site: "(SELECT s.site_id FROM charging_stations s WHERE s.id = t.station_id)",
  filters: { station_id: { schema: DbId, column: "t.station_id" } },
};

export const chargingRoutes = (db: pg.Pool) => [
  ...crudRoutes(db, chargingStations),
  ...crudRoutes(db, chargingPoints),
];
