// The devices whose rollups make a node's energy, from the registry: a device itself, a site's devices, a system's
// devices and the devices measuring its equipment (as the system's /now view counts them), an inverter array's
// inverters. Rows are labelled on the clock the device's rows were counted in: a device's own zone, else its site's.
// A node outside the key's sites is a 404 like an unknown one (checkScope, after the cache: the group is shared).
import type { z } from "zod";
import { inScope, type SiteScope } from "../auth/scope.ts";
import { type Db, row, rows } from "../db.ts";
import { notFound } from "../errors.ts";
import { DbId } from "../openapi/route.ts";
import { ExternalId, RegistryKey } from "../schemas.ts";

export const SCOPES = ["device", "site", "array", "system"] as const;
export type Scope = (typeof SCOPES)[number];

/** What `id` must look like for each scope. */
export const SCOPE_IDS: Record<Scope, z.ZodType> = {
  device: ExternalId,
  site: RegistryKey,
  array: DbId,
  system: DbId,
};

export interface EnergyGroup {
  site_id: string;
  timezone: string;
  /** Sorted, unique; shared by the requests a cache (scope-cache.ts) serves, hence read-only. */
  readonly devices: readonly string[];
}

/** The devices of a system: its own, and those measuring its inverters, packs and meters. */
export const SYSTEM_DEVICES_SQL = `SELECT device_id FROM devices WHERE system_id = $1
  UNION SELECT device_id FROM inverters WHERE system_id = $1 AND device_id IS NOT NULL
  UNION SELECT device_id FROM battery_packs WHERE system_id = $1 AND device_id IS NOT NULL
  UNION SELECT device_id FROM meters WHERE system_id = $1 AND device_id IS NOT NULL`;

const ARRAY_DEVICES_SQL =
  "SELECT device_id FROM inverters WHERE inverter_array_id = $1 AND device_id IS NOT NULL";

const NAMES: Record<Scope, string> = {
  device: "device",
  site: "site",
  array: "inverter array",
  system: "system",
};

/** The 404 of an unknown node, its id as the route's parameter names it. */
const unknownNode = (scope: Scope, id: string) =>
  notFound(NAMES[scope], scope === "array" || scope === "system" ? Number(id) : id);

/** The group of a node the key may see; the 404 of an unknown node otherwise. */
export function checkScope(scope: Scope, id: string, group: EnergyGroup, sites: SiteScope): EnergyGroup {
  if (!inScope(sites, group.site_id)) throw unknownNode(scope, id);
  return group;
}

const ids = async (db: Db, sql: string, id: unknown) =>
  (await rows<{ device_id: string }>(db, `SELECT device_id FROM (${sql}) d ORDER BY device_id`, [id])).map(
    (r) => r.device_id,
  );

export async function resolveScope(db: Db, scope: Scope, id: string): Promise<EnergyGroup> {
  switch (scope) {
    case "device": {
      const device = await row<{ site_id: string; timezone: string }>(
        db,
        "SELECT site_id, timezone FROM devices WHERE device_id = $1",
        [id],
      );
      if (device === undefined) throw unknownNode(scope, id);
      return { ...device, devices: [id] };
    }
    case "site": {
      const site = await row<{ timezone: string }>(db, "SELECT timezone FROM sites WHERE id = $1", [id]);
      if (site === undefined) throw unknownNode(scope, id);
      const devices = await ids(db, "SELECT device_id FROM devices WHERE site_id = $1", id);
      return { site_id: id, timezone: site.timezone, devices };
    }
    case "system": {
      const system = await row<{ site_id: string; timezone: string }>(
        db,
        "SELECT y.site_id, s.timezone FROM systems y JOIN sites s ON s.id = y.site_id WHERE y.id = $1",
        [Number(id)],
      );
      if (system === undefined) throw unknownNode(scope, id);
      return { ...system, devices: await ids(db, SYSTEM_DEVICES_SQL, Number(id)) };
    }
    case "array": {
      const array = await row<{ site_id: string; timezone: string }>(
        db,
        `SELECT y.site_id, s.timezone FROM inverter_arrays a JOIN systems y ON y.id = a.system_id
         JOIN sites s ON s.id = y.site_id WHERE a.id = $1`,
        [Number(id)],
      );
      if (array === undefined) throw unknownNode(scope, id);
      return { ...array, devices: await ids(db, ARRAY_DEVICES_SQL, Number(id)) };
    }
  }
}
