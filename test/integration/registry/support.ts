// What the registry's integration tests share: a pool on a migrated database, and removal of what a test made.
import type pg from "pg";
import { createLogger } from "../../../ground/logger.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import { config } from "../../support/stack.ts";

export const quietLog = createLogger("migrate", "warn");

export async function registryPool(): Promise<pg.Pool> {
  await migrate(config, quietLog);
  return postgresPool(config, 4);
}

/** Removes a sample file's sites (their hierarchy and devices cascade) and its adapter type. */
export async function removeSample(pool: pg.Pool, site: string): Promise<void> {
  await pool.query("DELETE FROM sites WHERE id = ANY($1)", [[site, `${site}-b`]]);
  await pool.query("DELETE FROM adapter_types WHERE key = $1", [`${site}-modbus`]);
}
