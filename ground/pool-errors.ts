// A pool's idle connection that fails (the server restarted, the network dropped it) is an 'error' event on the
// pool, which would end the process if nothing listened. The pool has already dropped that connection and opens a
// new one for the next query, so the event is only worth a warning.
import type pg from "pg";
import { createLogger } from "./logger.ts";

export function warnOnIdleErrors(pool: pg.Pool, name: string): pg.Pool {
  pool.on("error", (err) =>
    createLogger(name).warn({ err: err.message }, "an idle connection failed; the pool replaces it"),
  );
  return pool;
}
