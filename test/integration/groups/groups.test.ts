// Group rows (energy_hourly_groups, energy_daily_groups) against the sum of their device rows on the real stack,
// after each way device rows are written: a stream run of a faulted fleet whose out-of-order readings are late
// (allowed lateness 0: each one recalculates its device), a replay over a damaged row, and a re-pricing. Half the
// devices count in a system and an inverter array of their site, so all three kinds of group are compared.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool, questdbSender } from "../../../ground/questdb.ts";
import { addCostVersion } from "../../../pipelines/cost/add.ts";
import { groupTickets } from "../../../pipelines/jobs/reconcile-groups.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import {
  computeRows,
  config,
  type EnergyRows,
  type Fixture,
  fixtureEnv,
  makeFixture,
  publishFixture,
  registerFixture,
  startProcessor,
  stopProcessor,
  unregisterFixture,
  waitForRows,
} from "../../support/ledger.ts";

const run = promisify(execFile);
const pool = postgresPool(config, 2);
const questdb = questdbPool(config, 2);
let fx: Fixture;
let expected: EnergyRows;
let sites: string[];
let dates: string[];

/** Every group row of the fixture's sites and dates equals the sum of its device rows: no ticket. */
async function assertGroupsEqualDevices(when: string): Promise<void> {
  const tickets = await groupTickets(questdb, dates, sites);
  assert.deepEqual(
    tickets.map((t) => t.details),
    [],
    `${when}: group rows that are not Σ device rows`,
  );
}

/** Σ energy of the fixture's sites: from the daily group rows, and from the device rows. */
async function siteTotals(): Promise<{ groups: number; devices: number; cost: number | null }> {
  const marks = sites.map((_, k) => `$${k + 1}`).join(", ");
  const { rows: g } = await questdb.query<{ wh: number; cost: number | null }>(
    `SELECT sum(energy_wh) wh, sum(cost) cost FROM energy_daily_groups WHERE site_id IN (${marks})`,
    sites,
  );
  const { rows: d } = await questdb.query<{ wh: number }>(
    `SELECT sum(r.energy_wh) wh FROM energy_daily r JOIN devices m ON m.device_id = r.device_id
     WHERE m.site_id IN (${marks})`,
    sites,
  );
  return { groups: g[0]?.wh ?? 0, devices: d[0]?.wh ?? 0, cost: g[0]?.cost ?? null };
}

before(async () => {
  await migrate(config);
  fx = await makeFixture(6, 86_400);
  await registerFixture(pool, fx);
  sites = [...new Set(fx.devices.map((d) => d.site_id))].sort();
  // Half the devices measure inverters of one array of a system at their site.
  for (const d of fx.devices.filter((_, i) => i % 2 === 0)) {
    const { rows } = await pool.query<{ id: string }>(
      "INSERT INTO systems (site_id, key) VALUES ($1, 'roof') ON CONFLICT (site_id, key) DO UPDATE SET key = 'roof' RETURNING id",
      [d.site_id],
    );
    const system = rows[0]?.id;
    const { rows: arrays } = await pool.query<{ id: string }>(
      "INSERT INTO inverter_arrays (system_id, key) VALUES ($1, 'a') ON CONFLICT (system_id, key) DO UPDATE SET key = 'a' RETURNING id",
      [system],
    );
    await pool.query(
      "INSERT INTO inverters (system_id, inverter_array_id, key, device_id) VALUES ($1, $2, $3, $4)",
      [system, arrays[0]?.id, d.device_id, d.device_id],
    );
  }
  expected = await computeRows(fx);
  dates = [...new Set(expected.daily.map((l) => l.split(" ")[1] as string))].sort();
});

after(async () => {
  await unregisterFixture(pool, fx);
  await Promise.all([pool.end(), questdb.end()]);
});

test("group rows = Σ device rows after a stream run with recalculations, a replay and a re-pricing", async () => {
  await publishFixture(fx);
  const processor = startProcessor(fx, { WATTLINE_ALLOWED_LATENESS_MS: "0" });
  try {
    assert.deepEqual(await waitForRows(questdb, fx, expected, 120_000), expected);
  } finally {
    await stopProcessor(processor);
  }
  await assertGroupsEqualDevices("stream");
  const { rows: grouped } = await questdb.query<{ n: string }>(
    `SELECT count() n FROM energy_daily_groups WHERE system_id IS NOT NULL AND array_id IS NOT NULL
     AND site_id IN (${sites.map((_, k) => `$${k + 1}`).join(", ")})`,
    sites,
  );
  assert.ok(Number(grouped[0]?.n) > 0, "some group rows are of a system and an array");
  const streamed = await siteTotals();
  assert.ok(Math.abs(streamed.groups - streamed.devices) < 1e-6 * streamed.devices);

  // A damaged device day moves its group's day with it; the replay restores both.
  const [victim, date] = (expected.daily[0] as string).split(" ") as [string, string];
  const sender = await questdbSender(config);
  sender.table("energy_daily").symbol("device_id", victim).floatColumn("energy_wh", 123_456_789);
  await sender.intColumn("hours", 1).at(BigInt(Date.parse(`${date}T00:00:00Z`)) * 1000n, "us");
  await sender.flush();
  await sender.close();
  await assertGroupsEqualDevices("a damaged row");
  await run(
    "node",
    [
      "bin/wattline.js",
      "replay",
      "--from",
      "2025-03-28T00:00:00Z",
      "--to",
      "2025-04-02T00:00:00Z",
      "--device",
      ...fx.devices.map((d) => d.device_id),
    ],
    { env: fixtureEnv(fx), maxBuffer: 64 * 1024 * 1024 },
  );
  assert.deepEqual(await waitForRows(questdb, fx, expected, 60_000), expected);
  await assertGroupsEqualDevices("replay");
  const replayed = await siteTotals();
  assert.ok(
    Math.abs(replayed.groups - streamed.groups) < 1e-6 * streamed.groups,
    "the replay restored the total",
  );

  // A site's new tariff re-prices its hours and days; its group rows follow.
  const site = sites[0] as string;
  await addCostVersion(config, {
    cost_per_kwh: 0.4,
    currency: "EUR",
    effective_from: "2025-03-01T00:00:00Z",
    scope: "site",
    scope_id: site,
  });
  await assertGroupsEqualDevices("re-pricing");
  const { rows: priced } = await questdb.query<{ wh: number; cost: number }>(
    "SELECT sum(energy_wh) wh, sum(cost) cost FROM energy_daily_groups WHERE site_id = $1 AND currency = 'EUR'",
    [site],
  );
  const p = priced[0];
  assert.ok(p && p.wh > 0 && Math.abs(p.cost - (p.wh / 1000) * 0.4) < 1e-6 * p.cost, JSON.stringify(p));
});
