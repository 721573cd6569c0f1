// The reconciliation against the real stores: ledger rows written as the ledger processor writes them, devices in
// the registry, tickets and the run in Postgres. Device and site ids are unique to this run.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type pg from "pg";
import { createLogger } from "../../../ground/logger.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import type { Reading } from "../../../pipelines/core/reading.ts";
import { RECONCILE_JOB, type ReconcileSummary, reconcile } from "../../../pipelines/jobs/reconcile.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import { ensureLedgerTables } from "../../../schemas/questdb/ledger.ts";
import { rowCounts, seedLedger, waitForRows, withSender } from "../../support/ledger-seed.ts";
import { config, unique } from "../../support/stack.ts";

const DATE = "2024-06-15";
const tag = unique("recon");
const site = `${tag}-site`;
const ok = `${tag}-ok`; // Europe/Berlin, consistent
const bad = `${tag}-bad`; // its daily row doctored afterwards
const gappy = `${tag}-gappy`; // a 7 h gap and an implausible jump
const stray = `${tag}-stray`; // not in the registry: default settings
const ids = [ok, bad, gappy, stray];

let postgres: pg.Pool;
let questdb: pg.Pool;

/** Every 5 minutes over [from, to], +25 Wh each (300 W); `start` is the first counter value. */
function series(device: string, from: string, to: string, start = 0): Reading[] {
  const readings: Reading[] = [];
  for (let t = Date.parse(from), e = start; t <= Date.parse(to); t += 300_000, e += 25)
    readings.push({ device_id: device, ts: t, energy_wh_total: e });
  return readings;
}

const run = (opts: { now?: number } = {}): Promise<ReconcileSummary> =>
  reconcile(
    { postgres, questdb },
    { ...(opts.now ? { now: opts.now } : { date: DATE }), devices: ids, silentIntervals: 10 },
  );

async function tickets(): Promise<
  { device_id: string; kind: string; dedupe_key: string; details: Record<string, unknown> }[]
> {
  const { rows } = await postgres.query(
    "SELECT device_id, kind, dedupe_key, details FROM review_tickets WHERE device_id = ANY($1) ORDER BY dedupe_key",
    [ids],
  );
  return rows;
}

before(async () => {
  await migrate(config, createLogger("migrate", "warn"));
  postgres = postgresPool(config, 2);
  questdb = questdbPool(config, 4);
  await ensureLedgerTables(questdb);
  await postgres.query(
    "INSERT INTO sites (id, name, timezone) VALUES ($1, 'Reconcile test', 'Europe/Berlin')",
    [site],
  );
  await postgres.query(
    `INSERT INTO devices (device_id, site_id, kind, timezone, expected_interval_s, max_power_w)
     VALUES ($1, $4, 'meter', 'Europe/Berlin', 300, NULL), ($2, $4, 'meter', 'UTC', 300, NULL),
            ($3, $4, 'meter', 'UTC', 300, 1000)`,
    [ok, bad, gappy, site],
  );
  const rows = await seedLedger([
    // Berlin's 15 June is [14 June 22:00Z, 15 June 22:00Z).
    {
      settings: { device_id: ok, timezone: "Europe/Berlin", expected_interval_s: 300 },
      readings: series(ok, "2024-06-14T21:00:00Z", "2024-06-15T23:00:00Z"),
    },
    {
      settings: { device_id: bad, expected_interval_s: 300 },
      readings: series(bad, "2024-06-14T23:00:00Z", "2024-06-16T01:00:00Z"),
    },
    {
      settings: { device_id: gappy, expected_interval_s: 300, max_power_w: 1000 },
      readings: [
        ...series(gappy, "2024-06-14T23:00:00Z", "2024-06-15T08:00:00Z"),
        ...series(gappy, "2024-06-15T15:00:00Z", "2024-06-15T18:00:00Z", 5000),
        ...series(gappy, "2024-06-15T18:05:00Z", "2024-06-16T01:00:00Z", 1_000_000),
      ],
    },
    {
      settings: { device_id: stray },
      readings: series(stray, "2024-06-14T23:00:00Z", "2024-06-16T01:00:00Z"),
    },
  ]);
  await waitForRows(questdb, ids, rowCounts(rows));
  // The doctored row: the same DEDUP key, so it replaces the true one.
  await withSender(async (sender) => {
    sender.table("energy_daily").symbol("device_id", bad).floatColumn("energy_wh", 1).intColumn("hours", 24);
    await sender.at(BigInt(Date.parse(`${DATE}T00:00:00Z`)) * 1000n, "us");
  });
  for (let i = 0; ; i++) {
    const { rows: r } = await questdb.query(
      "SELECT energy_wh FROM energy_daily WHERE device_id = $1 AND day = $2",
      [bad, `${DATE}T00:00:00.000Z`],
    );
    if (r[0]?.energy_wh === 1) break;
    if (i > 200) throw new Error("the doctored daily row never became visible");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

after(async () => {
  await postgres.query("DELETE FROM review_tickets WHERE device_id = ANY($1)", [ids]);
  await postgres.query("DELETE FROM job_runs WHERE job = $1 AND summary->'only_devices' ? $2", [
    RECONCILE_JOB,
    ok,
  ]);
  await postgres.query("DELETE FROM sites WHERE id = $1", [site]);
  await Promise.all([postgres.end(), questdb.end()]);
});

test("reconcile: consistent devices get no ticket; the doctored day, the gap, the jump and the silence do", async () => {
  const summary = await run();
  assert.deepEqual(
    { ...summary, duration_ms: 0 },
    {
      dates: [DATE],
      devices_checked: 4,
      mismatches: 1,
      tickets_created: 4,
      tickets_existing: 0,
      tickets: { energy_mismatch: 1, device_silent: 1, ledger_gap: 1, implausible_jump: 1 },
      duration_ms: 0,
      only_devices: ids,
    },
  );
  const found = await tickets();
  assert.deepEqual(
    found.map((t) => [t.device_id, t.kind, t.dedupe_key]),
    [
      [gappy, "ledger_gap", `gap:${gappy}:2024-06-15T08:00:00.000Z`],
      [gappy, "implausible_jump", `jump:${gappy}:2024-06-15T18:05:00.000Z`],
      [bad, "energy_mismatch", `mismatch:${bad}:${DATE}`],
      [gappy, "device_silent", `silent:${gappy}:${DATE}`],
    ],
  );
  const mismatch = found.find((t) => t.kind === "energy_mismatch");
  assert.deepEqual(mismatch?.details, {
    date: DATE,
    reasons: ["daily_vs_hourly"],
    daily_wh: 1,
    hourly_wh: 7200,
    ledger_wh: 7200,
    daily_hours: 24,
    hourly_hours: 24,
    ledger_hours: 24,
  });
});

test("reconcile: a second run (each device's previous local day) finds its tickets instead of adding them", async () => {
  const summary = await run({ now: Date.parse("2024-06-16T02:00:00Z") });
  assert.equal(summary.devices_checked, 4);
  assert.equal(summary.mismatches, 1);
  assert.equal(summary.tickets_created, 0);
  assert.equal(summary.tickets_existing, 4);
  assert.equal((await tickets()).length, 4);
});

test("reconcile: each run is recorded in job_runs with its summary", async () => {
  const { rows } = await postgres.query<{ status: string; summary: ReconcileSummary }>(
    "SELECT status, summary FROM job_runs WHERE job = $1 AND summary->'only_devices' ? $2 ORDER BY id",
    [RECONCILE_JOB, ok],
  );
  assert.deepEqual(
    rows.map((r) => [
      r.status,
      r.summary.devices_checked,
      r.summary.tickets_created,
      r.summary.tickets_existing,
    ]),
    [
      ["succeeded", 4, 4, 0],
      ["succeeded", 4, 0, 4],
    ],
  );
  assert.ok(rows.every((r) => typeof r.summary.duration_ms === "number"));
});
