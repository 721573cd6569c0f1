// Registers a simulated fleet (the simulator's --manifest) in Postgres as a full hierarchy: sites, a system per
// site with inverter arrays, inverters, a battery array and packs, meters, and every device with its settings. It
// goes through the registry import (validation, one transaction, idempotent), so a restart changes nothing.
import { readFileSync } from "node:fs";
import type pg from "pg";
import { z } from "zod";
import { fleetRegistry } from "../connectors/simulator/hierarchy.ts";
import type { ManifestEntry } from "../connectors/simulator/manifest.ts";
import { parseRegistryFile } from "../pipelines/registry/config-parse.ts";
import { importRegistry } from "../pipelines/registry/import.ts";

const manifest = z.array(
  z.object({
    device_id: z.string(),
    site_id: z.string(),
    timezone: z.string(),
    kind: z.enum(["inverter", "battery", "meter", "ev_charger", "classroom"]),
    max_power_w: z.number(),
    noise_wh: z.number(),
    counter_persists_across_boot: z.boolean(),
    expected_interval_s: z.number().int(),
    latitude: z.number(),
  }),
);

export interface Registered {
  devices: number;
  systems: number;
}

export async function registerFleet(pool: pg.Pool, manifestFile: string): Promise<Registered> {
  const devices: ManifestEntry[] = manifest.parse(JSON.parse(readFileSync(manifestFile, "utf8")));
  // JSON is YAML: the file goes through the same checks (schema, references) as `wattline import`.
  const parsed = parseRegistryFile(JSON.stringify(fleetRegistry(devices)), manifestFile);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  await importRegistry(pool, parsed.file);
  return { devices: devices.length, systems: parsed.file.sites.length };
}
