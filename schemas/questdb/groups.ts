// Group rollups: energy per site, system and inverter array per hour and per local date, as QuestDB materialized
// views over the device rows joined to the registry's mirror (`devices`). A refresh recomputes every bucket a base
// table transaction touched from the device rows it then holds and replaces the view's rows of that time range, so
// the views follow every write of the device rows (stream, recalculation, replay, re-pricing) exactly and
// idempotently. One row per bucket and (site, system, array, generation, currency): a group's total is the sum of its
// few rows, each sum additive (energy, cost, counts of rows per confidence, device rows); `generation` sets apart
// the energy of inverters and the devices measuring them, which the live feed shows. A change of the mirror does
// not refresh them: a device moving to another group is a rebuild (REFRESH MATERIALIZED VIEW … FULL,
// docs/operations.md).
import type pg from "pg";

/** Counts shared by both views: device rows per confidence, and device rows. */
const COUNTS = `sum(CASE WHEN r.confidence = 'low' THEN 1 ELSE 0 END) low,
    sum(CASE WHEN r.confidence = 'medium' THEN 1 ELSE 0 END) medium,
    sum(CASE WHEN r.confidence = 'high' THEN 1 ELSE 0 END) high, count() devices`;

const KEYS = "d.site_id, d.energy_system_id system_id, d.array_id, d.generation, r.currency";

const SUMS = `sum(r.energy_wh) energy_wh, sum(r.cost) cost, sum(r.readings) readings, sum(r.resets) resets,
    sum(r.replacements) replacements, sum(r.anomalies) anomalies`;

/**
 * A view's query: the device rows of `where` (all of them in the view) summed per bucket and group. SAMPLE BY 15m
 * keeps every hour apart, also those of zones offset by 30 or 45 minutes from UTC; a daily row's timestamp names
 * its local date at UTC midnight, so a UTC day is one date.
 */
export function groupQuery(view: GroupView, where = ""): string {
  const filter = where ? `WHERE ${where}` : "";
  return view === "energy_hourly_groups"
    ? `SELECT r.hour_start, r.local_date, ${KEYS}, ${SUMS}, ${COUNTS}
    FROM energy_hourly r JOIN devices d ON (device_id) ${filter} SAMPLE BY 15m`
    : `SELECT r.day, ${KEYS}, ${SUMS}, sum(r.hours) hours, ${COUNTS}
    FROM energy_daily r JOIN devices d ON (device_id) ${filter} SAMPLE BY 1d`;
}

const BASE = { energy_hourly_groups: "energy_hourly", energy_daily_groups: "energy_daily" } as const;
const PARTITION = { energy_hourly_groups: "MONTH", energy_daily_groups: "YEAR" } as const;

export const GROUP_VIEWS = Object.fromEntries(
  (Object.keys(BASE) as GroupView[]).map((view) => [
    view,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${view} WITH BASE ${BASE[view]} AS (
    ${groupQuery(view)}
  ) PARTITION BY ${PARTITION[view]}`,
  ]),
) as Record<GroupView, string>;

export type GroupView = "energy_hourly_groups" | "energy_daily_groups";

/**
 * After the ledger's tables: the views read energy_hourly, energy_daily and devices. A view made by an older
 * version with another query is dropped and made again (it fills from the whole base table); one that a schema
 * change of its base table invalidated is rebuilt.
 */
export async function ensureGroupViews(questdb: pg.Pool): Promise<void> {
  const { rows: existing } = await questdb.query<{ view_name: string; view_sql: string }>(
    "SELECT view_name, view_sql FROM materialized_views()",
  );
  for (const { view_name, view_sql } of existing)
    if (isGroupView(view_name) && view_sql.trim() !== groupQuery(view_name).trim())
      await questdb.query(`DROP MATERIALIZED VIEW ${view_name}`);
  for (const ddl of Object.values(GROUP_VIEWS)) await questdb.query(ddl);
  const { rows } = await questdb.query<{ view_name: string }>(
    "SELECT view_name FROM materialized_views() WHERE view_status = 'invalid'",
  );
  for (const { view_name } of rows)
    if (isGroupView(view_name)) await questdb.query(`REFRESH MATERIALIZED VIEW ${view_name} FULL`);
}

const isGroupView = (name: string): name is GroupView => name in GROUP_VIEWS;

/** Recomputes every group row from the device rows: after devices moved between groups. */
export async function rebuildGroupViews(questdb: pg.Pool): Promise<void> {
  for (const view of Object.keys(GROUP_VIEWS)) await questdb.query(`REFRESH MATERIALIZED VIEW ${view} FULL`);
}

/**
 * Waits until each view has refreshed the transactions its base table had when called (views refresh
 * asynchronously, after the base table's WAL is applied). False when `timeoutMs` passes first.
 */
export async function groupViewsCaughtUp(questdb: pg.Pool, timeoutMs: number): Promise<boolean> {
  const { rows: bases } = await questdb.query<{ name: string; txn: string }>(
    "SELECT name, sequencerTxn txn FROM wal_tables() WHERE name IN ('energy_hourly', 'energy_daily')",
  );
  const target = new Map(bases.map((b) => [b.name, BigInt(b.txn)]));
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await questdb.query<{ view_name: string; view_status: string; txn: string | null }>(
      "SELECT view_name, view_status, refresh_base_table_txn txn FROM materialized_views()",
    );
    const done = Object.entries(BASE).every(([view, base]) => {
      const r = rows.find((v) => v.view_name === view);
      return (
        r !== undefined && r.view_status !== "invalid" && BigInt(r.txn ?? -1) >= (target.get(base) ?? 0n)
      );
    });
    if (done) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
