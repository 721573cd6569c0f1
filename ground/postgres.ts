// The registry database pool.
import pg from "pg";
import type { Config } from "./config.ts";
import { warnOnIdleErrors } from "./pool-errors.ts";

export function postgresPool(config: Config, max = 10): pg.Pool {
  return warnOnIdleErrors(new pg.Pool({ connectionString: config.postgres.url, max }), "postgres");
}
