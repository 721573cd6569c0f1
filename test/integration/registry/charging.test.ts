import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import type pg from "pg";
import { loadConnectorCounts, reconcile } from "../../../pipelines/registry/charging-reconcile.ts";
import { unique } from "../../support/stack.ts";
import { registryPool } from "./support.ts";

let pool: pg.Pool;
const prefix = unique("chg");
before(async () => {
  pool = await registryPool();
});
after(async () => {
  await pool.query("DELETE FROM charging_stations WHERE external_id LIKE $1", [`${prefix}%`]);
  await pool.query("DELETE FROM charging_connector_counts WHERE station_id LIKE $1", [`${prefix}%`]);
  await pool.query("DELETE FROM job_runs WHERE job = 'charging.reconcile' AND summary->>'device' LIKE $1", [
    `${prefix}%`,
  ]);
  await pool.end();
});

let n = 0;
/** A station id unique to this run; `tail` lets a test choose how it sorts and where its dashes are. */
const stationId = (tail: string) => `${prefix}${String(n++).padStart(3, "0")}${tail}`;

async function station(externalId: string, points: number[] = []): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    "INSERT INTO charging_stations (external_id, name) VALUES ($1, $2) RETURNING id",
    [externalId, `Station ${externalId}`],
  );
  const id = rows[0]?.id ?? "";
  for (const point of points)
    await pool.query("INSERT INTO charging_points (station_id, point_number) VALUES ($1, $2)", [id, point]);
  return id;
}

async function pointNumbers(id: string): Promise<number[]> {
  const { rows } = await pool.query<{ point_number: number }>(
    "SELECT point_number FROM charging_points WHERE station_id = $1 ORDER BY point_number",
    [id],
  );
  return rows.map((r) => r.point_number);
}

test("reconcile: the highest count wins, and station ids match with or without dashes", async () => {
  const dashed = stationId("-ab-cd");
  const plain = stationId("ef");
  const a = await station(dashed, [1]);
  const b = await station(plain);
  const bReported = `${plain.slice(0, -1)}-f`;
  const report = await reconcile(pool, [
    { station_id: dashed.replaceAll("-", ""), count: 3 },
    { station_id: dashed, count: 1 },
    { station_id: dashed.replaceAll("-", ""), count: 2 },
    { station_id: bReported, count: 2 },
  ]);
  assert.deepEqual(await pointNumbers(a), [1, 2, 3]);
  assert.deepEqual(await pointNumbers(b), [1, 2]);
  assert.deepEqual(
    report.stations.map((s) => [
      s.external_id,
      s.reported_id,
      s.count,
      s.existing,
      s.add,
      s.created_ids.length,
    ]),
    [
      [dashed, dashed.replaceAll("-", ""), 3, 1, [2, 3], 2],
      [plain, bReported, 2, 0, [1, 2], 2],
    ],
  );
  assert.equal(report.created, 4);
  assert.deepEqual(report.not_found, []);
});

test("reconcile: missing points are numbered on after the highest existing one, with ids from the database", async () => {
  const id = stationId("-gap");
  const s = await station(id, [1, 4]);
  const report = await reconcile(pool, [{ station_id: id, count: 3 }]);
  assert.deepEqual(await pointNumbers(s), [1, 4, 5]);
  const { rows } = await pool.query(
    "SELECT id FROM charging_points WHERE station_id = $1 AND point_number = 5",
    [s],
  );
  assert.deepEqual(report.stations[0]?.created_ids, [rows[0]?.id]);
});

test("reconcile: a dry run reports what it would create and writes nothing", async () => {
  const id = stationId("-dry");
  const s = await station(id, [1]);
  const report = await reconcile(pool, [{ station_id: id, count: 4 }], { dryRun: true });
  assert.equal(report.dry_run, true);
  assert.equal(report.created, 3);
  assert.deepEqual(report.stations[0]?.add, [2, 3, 4]);
  assert.deepEqual(report.stations[0]?.created_ids, []);
  assert.deepEqual(await pointNumbers(s), [1]);
});

test("reconcile: a failure at one station leaves every station as it was", async () => {
  const first = stationId("-a");
  const failing = stationId("-z");
  assert.ok(first < failing, "stations are reconciled in id order: the failing one must come second");
  const a = await station(first, [1]);
  const z = await station(failing);
  // A trigger that refuses points for `z` only, so that the failure comes after `a`'s points were inserted.
  // DDL takes no parameters; the names are this run's own and the id is the database's integer.
  const fn = `${prefix}_fail`;
  await pool.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
  await pool.query(`CREATE TRIGGER ${fn} BEFORE INSERT ON charging_points
    FOR EACH ROW WHEN (NEW.station_id = ${Number(z)}) EXECUTE FUNCTION ${fn}()`);
  try {
    await assert.rejects(
      reconcile(pool, [
        { station_id: first, count: 3 },
        { station_id: failing, count: 2 },
      ]),
      /injected failure/,
    );
  } finally {
    await pool.query(`DROP TRIGGER ${fn} ON charging_points`);
    await pool.query(`DROP FUNCTION ${fn}()`);
  }
  assert.deepEqual(await pointNumbers(a), [1]);
  assert.deepEqual(await pointNumbers(z), []);
});

test("reconcile: stations not found are listed; a second run adds nothing", async () => {
  const known = stationId("-known");
  const missing = stationId("-missing");
  const s = await station(known);
  const counts = [
    { station_id: known, count: 2 },
    { station_id: missing, count: 2 },
  ];
  const first = await reconcile(pool, counts);
  assert.deepEqual(first.not_found, [missing]);
  assert.equal(first.created, 2);
  const second = await reconcile(pool, counts);
  assert.equal(second.created, 0);
  assert.deepEqual(second.stations[0]?.add, []);
  assert.deepEqual(second.not_found, [missing]);
  assert.deepEqual(await pointNumbers(s), [1, 2]);
});

test("reconcile: two runs at once create each point once", async () => {
  const id = stationId("-race");
  const s = await station(id);
  const counts = [{ station_id: id, count: 5 }];
  const [a, b] = await Promise.all([reconcile(pool, counts), reconcile(pool, counts)]);
  assert.equal(a.created + b.created, 5);
  assert.deepEqual(await pointNumbers(s), [1, 2, 3, 4, 5]);
});

test("reconcile: --device reconciles that station only", async () => {
  const chosen = stationId("-one");
  const other = stationId("-two");
  const [c, o] = [await station(chosen), await station(other)];
  const report = await reconcile(
    pool,
    [
      { station_id: chosen, count: 1 },
      { station_id: other, count: 1 },
      { station_id: stationId("-unknown"), count: 1 },
    ],
    { device: chosen.replaceAll("-", "") },
  );
  assert.deepEqual(
    report.stations.map((s) => s.external_id),
    [chosen],
  );
  assert.deepEqual(report.not_found, []);
  assert.deepEqual([await pointNumbers(c), await pointNumbers(o)], [[1], []]);
});

test("wattline charging reconcile: reads the highest stored count, writes, and records the job run", async () => {
  const id = stationId("-cli");
  const s = await station(id, [1]);
  await pool.query(
    "INSERT INTO charging_connector_counts (station_id, count) VALUES ($1, 2), ($2, 3), ($1, 1)",
    [id, id.replaceAll("-", "")],
  );
  const stored = (await loadConnectorCounts(pool)).filter((c) => c.station_id.startsWith(id.slice(0, -4)));
  assert.deepEqual(
    stored.sort((x, y) => x.count - y.count),
    [
      { station_id: id, count: 2 },
      { station_id: id.replaceAll("-", ""), count: 3 },
    ],
  );
  const root = new URL("../../../", import.meta.url).pathname;
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["bin/wattline.js", "charging", "reconcile", "--device", id, "--json"],
      { cwd: root },
      (error, out, err) => (error ? reject(new Error(err)) : resolve(out)),
    ),
  );
  assert.equal(JSON.parse(stdout).created, 2);
  assert.deepEqual(await pointNumbers(s), [1, 2, 3]);
  const { rows } = await pool.query(
    "SELECT status, summary->'created' AS created FROM job_runs WHERE job = 'charging.reconcile' AND summary->>'device' = $1",
    [id],
  );
  assert.deepEqual(rows, [{ status: "succeeded", created: 2 }]);
});
