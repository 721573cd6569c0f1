// The registry database pool.
import pg from "pg";
import type { Config } from "../../deploy/config.ts";

export function postgresPool(config: Config, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: config.postgres.url, max });
}
