import assert from "node:assert/strict";
import { test } from "node:test";
import { postgresPool } from "../../../ground/postgres.ts";
import { config, unique } from "../../support/stack.ts";

test("postgres: a row inserted with parameters is read back", async () => {
  const pool = postgresPool(config);
  const table = unique("smoke");
  try {
    await pool.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, name text NOT NULL)`);
    await pool.query(`INSERT INTO ${table} (name) VALUES ($1)`, ["site'; DROP TABLE x; --"]);
    const { rows } = await pool.query(`SELECT name FROM ${table}`);
    assert.deepEqual(rows, [{ name: "site'; DROP TABLE x; --" }]);
    const { rows: who } = await pool.query("SELECT current_user, current_database()");
    assert.deepEqual(who, [{ current_user: "wattline", current_database: "wattline" }]);
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  }
});
