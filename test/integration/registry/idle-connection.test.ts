// A pooled connection that the server ends while it is idle (a Postgres restart does so to all) is replaced, and
// the process goes on: without a listener, the pool's 'error' event would end it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { postgresPool } from "../../../ground/postgres.ts";
import { config } from "../../support/stack.ts";

test("an idle connection ended by the server is replaced; the process does not crash", async () => {
  const pool = postgresPool(config, 2);
  const admin = postgresPool(config, 1);
  try {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() pid");
    client.release();
    assert.equal(pool.listenerCount("error"), 1, "the pool listens for failed idle connections itself");
    const errors: Error[] = [];
    pool.on("error", (err) => errors.push(err));
    await admin.query("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(errors.length, 1, "the pool reported the ended connection");
    assert.deepEqual((await pool.query("SELECT 1 AS one")).rows, [{ one: 1 }]);
  } finally {
    await Promise.all([pool.end(), admin.end()]);
  }
});
