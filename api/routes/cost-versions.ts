// Tariffs. A cost version is immutable (a trigger refuses UPDATE and DELETE): a correction is a new version, so
// there is no update or delete route.
import type pg from "pg";
import { z } from "zod";
import { DbId } from "../openapi/route.ts";
import { ExternalId, IdOut, RegistryKey, Text, Timestamp } from "../schemas.ts";
import { crudRoutes, type Resource } from "./crud.ts";

const SCOPES = ["global", "site", "device"] as const;

export const CostVersion = z.object({
  id: IdOut,
  cost_per_kwh: z.number(),
  currency: z.string(),
  effective_from: Timestamp,
  scope: z.enum(SCOPES),
  scope_id: z.string().nullable().meta({ description: "the site or device id; null for global" }),
  note: z.string().nullable(),
  created_at: Timestamp,
});

const common = {
  cost_per_kwh: z.number().min(0).max(1e6),
  currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code, e.g. EUR"),
  effective_from: Timestamp.meta({ description: "with an offset, e.g. 2024-11-01T00:00:00+05:30" }),
  note: Text.nullable().optional(),
};

export const costVersions: Resource = {
  name: "cost version",
  singular: "CostVersion",
  plural: "CostVersions",
  tag: "cost-versions",
  path: "/api/v1/cost-versions",
  param: "cost_version_id",
  paramSchema: DbId,
  table: "cost_versions",
  key: "id",
  keyKind: "number",
  select: "SELECT t.* FROM cost_versions t",
  row: CostVersion,
  // Global versions price every site: all keys read them, only unscoped keys create them.
  site: `CASE t.scope WHEN 'site' THEN t.scope_id
           WHEN 'device' THEN (SELECT d.site_id FROM devices d WHERE d.device_id = t.scope_id) END`,
  shared: "t.scope = 'global'",
  filters: {
    scope: { schema: z.enum(SCOPES), column: "t.scope" },
    scope_id: { schema: ExternalId, column: "t.scope_id" },
  },
  create: {
    // The site or device must exist: the registry's trigger checks it (a 400 invalid_reference otherwise).
    body: z.discriminatedUnion("scope", [
      z.strictObject({ scope: z.literal("global"), ...common }),
      z.strictObject({ scope: z.literal("site"), scope_id: RegistryKey, ...common }),
      z.strictObject({ scope: z.literal("device"), scope_id: ExternalId, ...common }),
    ]),
    columns: ["cost_per_kwh", "currency", "effective_from", "scope", "scope_id", "note"],
  },
};

export const costVersionRoutes = (db: pg.Pool) => crudRoutes(db, costVersions);
