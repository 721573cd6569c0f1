// Applies the registry migrations (schemas/migrations, node-pg-migrate). Every process may call it at start: a
// session advisory lock makes concurrent callers wait their turn, and a caller that finds nothing pending changes
// nothing. Pending files run in one transaction, so a failing migration leaves the schema as it was.
import { fileURLToPath } from "node:url";
import { runner } from "node-pg-migrate";
import type { Config } from "../../ground/config.ts";
import { createLogger, type Logger } from "../../ground/logger.ts";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));
export const MIGRATIONS_TABLE = "schema_migrations";
// Wattline's own lock id rather than node-pg-migrate's shared default, so that another application migrating the
// same server never makes Wattline wait.
export const MIGRATION_LOCK_ID = 0x5761_7474_6c6e;

/** Applies what is pending; returns the names of the migrations it applied (none when up to date). */
export async function migrate(config: Config, log: Logger = createLogger("migrate")): Promise<string[]> {
  const applied = await runner({
    databaseUrl: config.postgres.url,
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction: "up",
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: "wait",
    lockValue: MIGRATION_LOCK_ID,
    // node-pg-migrate narrates every step; one line per run (below) is enough above debug level.
    logger: {
      info: (msg) => log.debug(msg),
      warn: (msg) => log.warn(msg),
      error: (msg) => log.error(msg),
    },
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) log.info({ migrations: names }, `applied ${names.length} migration(s)`);
  else log.debug("registry schema up to date");
  return names;
}
