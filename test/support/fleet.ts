// A small simulated fleet of the test's own (its prefix in every id), registered the way `npm start` registers
// its fleet: the simulator's manifest, then registerFleet. `removeFleet` deletes its sites and all they own.
import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { FleetEngine } from "../../connectors/simulator/engine.ts";
import { type ManifestEntry, manifest } from "../../connectors/simulator/manifest.ts";
import { parseOptions } from "../../connectors/simulator/options.ts";
import { type Registered, registerFleet } from "../../deploy/register-fleet.ts";

export interface TestFleet extends Registered {
  entries: ManifestEntry[];
  file: string;
}

export async function registerTestFleet(
  pool: pg.Pool,
  prefix: string,
  options: { devices: number; timezones?: string[] },
): Promise<TestFleet> {
  const o = parseOptions({
    devices: String(options.devices),
    interval: "10",
    // The same fleet each time: the seed makes every device's make (its power limit, its capacity).
    seed: "1",
    prefix,
    ...(options.timezones ? { siteTimezones: options.timezones.join(",") } : {}),
  });
  const entries = manifest(FleetEngine.create(o).specs, o.intervalS);
  const dir = mkdtempSync(join(tmpdir(), "wattline-fleet-"));
  const file = join(dir, "simulated-fleet.json");
  try {
    await writeFile(file, JSON.stringify(entries));
    return { ...(await registerFleet(pool, file)), entries, file };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function removeFleet(pool: pg.Pool, prefix: string): Promise<void> {
  await pool.query("DELETE FROM sites WHERE id LIKE $1", [`${prefix}-site-%`]);
}
