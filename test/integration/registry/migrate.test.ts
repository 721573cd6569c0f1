import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { MIGRATION_LOCK_ID, migrate } from "../../../schemas/postgres/migrate.ts";
import { config, unique } from "../../support/stack.ts";
import { quietLog, registryPool } from "./support.ts";

let pool: pg.Pool;
before(async () => {
  pool = await registryPool();
});
after(() => pool.end());

/** Runs `work` in a transaction that is always rolled back: constraint tests leave nothing behind. */
async function rolledBack(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await work(client);
  } finally {
    await client.query("ROLLBACK");
    client.release();
  }
}

/** Asserts that `sql` fails with `code`, inside a savepoint so that the transaction goes on. */
async function refused(
  client: pg.PoolClient,
  code: string,
  sql: string,
  params: unknown[] = [],
): Promise<void> {
  await client.query("SAVEPOINT attempt");
  await assert.rejects(client.query(sql, params), (e: { code?: string }) => e.code === code, sql);
  await client.query("ROLLBACK TO SAVEPOINT attempt");
}

test("migrate: a second run applies nothing", async () => {
  await migrate(config, quietLog);
  assert.deepEqual(await migrate(config, quietLog), []);
});

test("migrate: a process that starts while another migrates waits for it instead of racing", async () => {
  const other = new pg.Client({ connectionString: config.postgres.url });
  await other.connect();
  try {
    await other.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    let done = false;
    const run = migrate(config, quietLog).then((applied) => {
      done = true;
      return applied;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(done, false, "migrate should wait for the lock");
    await other.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]);
    assert.deepEqual(await run, []);
  } finally {
    await other.end();
  }
});

test("schema: the registry tables exist", async () => {
  const { rows } = await pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ANY($1)",
    [
      [
        "sites",
        "systems",
        "inverter_arrays",
        "inverters",
        "battery_arrays",
        "battery_array_attachments",
        "battery_packs",
        "batteries",
        "cells",
        "meters",
        "adapter_types",
        "adapters",
        "devices",
        "communication_modules",
        "charging_stations",
        "charging_points",
        "charging_connector_counts",
        "cost_versions",
        "review_tickets",
        "job_runs",
        "device_status",
      ],
    ],
  );
  assert.equal(rows.length, 21);
});

test("cost_versions: a version can be added but never changed or removed", async () => {
  await rolledBack(async (client) => {
    const { rows } = await client.query<{ id: string }>(
      "INSERT INTO cost_versions (cost_per_kwh, currency, effective_from, scope) VALUES ($1, $2, $3, 'global') RETURNING id",
      ["0.3215", "EUR", "2025-01-01T00:00:00Z"],
    );
    const id = rows[0]?.id;
    await refused(client, "23001", "UPDATE cost_versions SET cost_per_kwh = 0.5 WHERE id = $1", [id]);
    await refused(client, "23001", "DELETE FROM cost_versions WHERE id = $1", [id]);
    await refused(
      client,
      "23503",
      "INSERT INTO cost_versions (cost_per_kwh, currency, effective_from, scope, scope_id) VALUES (0.2, 'EUR', now(), 'site', $1)",
      [unique("nosite")],
    );
    await refused(
      client,
      "23514",
      "INSERT INTO cost_versions (cost_per_kwh, currency, effective_from, scope) VALUES (0.2, 'EUR', now(), 'device')",
    );
  });
});

test("devices: inserts and real changes notify device_settings with the device id; no-op updates do not", async () => {
  const site = unique("notify");
  const [device, marker] = [`${site}-dev`, `${site}-marker`];
  const listener = new pg.Client({ connectionString: config.postgres.url });
  await listener.connect();
  const heard: string[] = [];
  let wake = () => {};
  listener.on("notification", (n) => {
    if (n.payload?.startsWith(site)) heard.push(n.payload);
    wake();
  });
  const until = async (predicate: () => boolean) => {
    while (!predicate()) await new Promise<void>((resolve) => (wake = resolve));
  };
  try {
    await listener.query("LISTEN device_settings");
    await pool.query("INSERT INTO sites (id, name, timezone) VALUES ($1, 'Notify', 'UTC')", [site]);
    const insert = "INSERT INTO devices (device_id, site_id, kind) VALUES ($1, $2, 'meter')";
    await pool.query(insert, [device, site]);
    await pool.query("UPDATE devices SET noise_wh = noise_wh WHERE device_id = $1", [device]);
    await pool.query("UPDATE devices SET max_power_w = 500 WHERE device_id = $1", [device]);
    // Notifications arrive in commit order: once the marker's is here, every earlier one is too.
    await pool.query(insert, [marker, site]);
    await until(() => heard.includes(marker));
    assert.deepEqual(heard, [device, device, marker]);
  } finally {
    await listener.end();
    await pool.query("DELETE FROM sites WHERE id = $1", [site]);
  }
});

test("constraints: SOC, capacities, zones and scopes are checked; equipment stays inside its system and site", async () => {
  const site = unique("constraints");
  await rolledBack(async (client) => {
    await refused(
      client,
      "23514",
      "INSERT INTO sites (id, name, timezone) VALUES ($1, 'x', 'Mars/Olympus')",
      [site],
    );
    await client.query(
      "INSERT INTO sites (id, name, timezone) VALUES ($1, 'x', 'Europe/Berlin'), ($2, 'y', 'UTC')",
      [site, `${site}-other`],
    );
    const { rows } = await client.query<{ id: string; key: string }>(
      "INSERT INTO systems (site_id, key) VALUES ($1, 'a'), ($1, 'b'), ($2, 'c') RETURNING id, key",
      [site, `${site}-other`],
    );
    const [a, b, c] = rows.map((r) => r.id);
    const array = await client.query<{ id: string }>(
      "INSERT INTO inverter_arrays (system_id, key) VALUES ($1, 'ground') RETURNING id",
      [a],
    );
    const arrayId = array.rows[0]?.id;
    await refused(
      client,
      "23503",
      "INSERT INTO inverters (system_id, inverter_array_id, key) VALUES ($1, $2, 'x')",
      [b, arrayId],
    );
    await refused(
      client,
      "23514",
      "INSERT INTO inverters (system_id, inverter_array_id, key, soc_pct) VALUES ($1, $2, 'x', 120)",
      [a, arrayId],
    );
    const bank = await client.query<{ id: string }>(
      "INSERT INTO battery_arrays (system_id, key) VALUES ($1, 'bank') RETURNING id",
      [a],
    );
    await refused(
      client,
      "23514",
      "INSERT INTO battery_packs (system_id, battery_array_id, key, capacity_kwh) VALUES ($1, $2, 'p', 0)",
      [a, bank.rows[0]?.id],
    );
    await refused(
      client,
      "23503",
      "INSERT INTO devices (device_id, site_id, system_id, kind) VALUES ($1, $2, $3, 'meter')",
      [`${site}-dev`, site, c],
    );
    await refused(
      client,
      "23514",
      "INSERT INTO devices (device_id, site_id, kind) VALUES ($1, $2, 'toaster')",
      [`${site}-dev`, site],
    );
    await refused(
      client,
      "23514",
      "INSERT INTO devices (device_id, site_id, kind) VALUES ('has space', $1, 'meter')",
      [site],
    );
  });
});
