// The registry database pool.
import pg from "pg";
import type { Config } from "./config.ts";

export function postgresPool(config: Config, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: config.postgres.url, max });
}
