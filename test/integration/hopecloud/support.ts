// What the HopeCloud integration tests share: a simulator with plants drawn from a random seed (ids unique to the
// run), a site per plant in the shared registry, a fast-retrying client, and removal of everything a test made.
import { randomInt } from "node:crypto";
import type pg from "pg";
import { HopeCloudClient, type HopeCloudClientOptions } from "../../../connectors/hopecloud/client/client.ts";
import type { PlantSpec } from "../../../connectors/hopecloud/simulator/fleet.ts";
import {
  type HopeCloudSimulator,
  type SimulatorOptions,
  startHopeCloudSimulator,
} from "../../../connectors/hopecloud/simulator/server.ts";
import { SYNC_JOB } from "../../../connectors/hopecloud/sync/one-shot.ts";
import { unique } from "../../support/stack.ts";
import { registryPool } from "../registry/support.ts";

export interface Fixture {
  pool: pg.Pool;
  sim: HopeCloudSimulator;
  client: HopeCloudClient;
  /** The sites made for the mapped plants, in plant order. */
  siteIds: string[];
  newClient(o?: Partial<HopeCloudClientOptions>): HopeCloudClient;
  close(): Promise<void>;
}

export interface FixtureOptions {
  simulator?: Partial<SimulatorOptions>;
  client?: Partial<HopeCloudClientOptions>;
  /** The last `unmapped` plants get no site. */
  unmapped?: number;
}

export async function hopecloudFixture(plants: PlantSpec[], o: FixtureOptions = {}): Promise<Fixture> {
  const pool = await registryPool();
  const sim = await startHopeCloudSimulator({ seed: randomInt(2 ** 32), plants, ...o.simulator });
  const prefix = unique("hc");
  const mapped = sim.plants.slice(0, sim.plants.length - (o.unmapped ?? 0));
  const siteIds = mapped.map((_, i) => `${prefix}-${i}`);
  for (const [i, plant] of mapped.entries()) {
    await pool.query("INSERT INTO sites (id, name, timezone, hopecloud_plant_id) VALUES ($1, $2, $3, $4)", [
      siteIds[i],
      plant.name,
      plant.timeZone,
      plant.id,
    ]);
  }
  const clients: HopeCloudClient[] = [];
  const newClient = (c: Partial<HopeCloudClientOptions> = {}) => {
    const client = new HopeCloudClient({
      baseUrl: sim.url,
      appKey: "wattline-sim",
      appSecret: "wattline-sim-secret",
      requestsPerSecond: 500,
      maxRetries: 2,
      backoff: { baseMs: 10, maxMs: 50 },
      ...o.client,
      ...c,
    });
    clients.push(client);
    return client;
  };
  return {
    pool,
    sim,
    client: newClient(),
    siteIds,
    newClient,
    async close() {
      for (const c of clients) c.close();
      await pool.query("DELETE FROM sites WHERE id LIKE $1", [`${prefix}-%`]);
      await pool.query("DELETE FROM job_runs WHERE job = $1 AND summary->'site_ids' ?| $2", [
        SYNC_JOB,
        siteIds,
      ]);
      await sim.stop();
      await pool.end();
    },
  };
}

/** The rows of these sites' modules, oldest module id first. */
export async function moduleRows(
  pool: pg.Pool,
  siteIds: readonly string[],
): Promise<Record<string, unknown>[]> {
  const { rows } = await pool.query(
    "SELECT * FROM communication_modules WHERE site_id = ANY($1) ORDER BY hopecloud_id",
    [siteIds],
  );
  return rows;
}

/** Waits until `check` returns a value (not undefined), polling every 100 ms. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
