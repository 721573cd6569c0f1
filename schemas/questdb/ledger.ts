// The ledger's QuestDB tables. WAL tables with DEDUP UPSERT KEYS: a crash, a redelivery or a replay rewrites the
// same rows instead of adding them, so every write may be repeated.
import type pg from "pg";
import { ensureGroupViews } from "./groups.ts";

export const LEDGER_TABLES = {
  readings: `CREATE TABLE IF NOT EXISTS readings (
    ts TIMESTAMP, device_id SYMBOL CAPACITY 16384, energy_wh_total DOUBLE, power_w DOUBLE, boot_id VARCHAR,
    seq LONG, ts_source SYMBOL, source SYMBOL, received_at TIMESTAMP
  ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, device_id)`,
  // ended_by: null for a reading's interval, `replacement` for the one ending at a meter replacement's final value
  // (read at the instant of a reading, both end at one ts).
  ledger: `CREATE TABLE IF NOT EXISTS ledger (
    ts TIMESTAMP, device_id SYMBOL CAPACITY 16384, from_ts TIMESTAMP, delta_wh DOUBLE,
    classification SYMBOL, confidence SYMBOL, ended_by SYMBOL
  ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, device_id, ended_by)`,
  meter_replacements: `CREATE TABLE IF NOT EXISTS meter_replacements (
    ts TIMESTAMP, device_id SYMBOL CAPACITY 16384, old_final_wh_total DOUBLE, new_initial_wh_total DOUBLE,
    source SYMBOL, received_at TIMESTAMP
  ) TIMESTAMP(ts) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(ts, device_id)`,
  energy_hourly: `CREATE TABLE IF NOT EXISTS energy_hourly (
    hour_start TIMESTAMP, device_id SYMBOL CAPACITY 16384, local_date SYMBOL, energy_wh DOUBLE, readings INT,
    duplicates INT, resets INT, replacements INT, anomalies INT, confidence SYMBOL, cost DOUBLE, currency SYMBOL
  ) TIMESTAMP(hour_start) PARTITION BY DAY WAL DEDUP UPSERT KEYS(hour_start, device_id)`,
  energy_daily: `CREATE TABLE IF NOT EXISTS energy_daily (
    day TIMESTAMP, device_id SYMBOL CAPACITY 16384, energy_wh DOUBLE, hours INT, readings INT, duplicates INT,
    resets INT, replacements INT, anomalies INT, confidence SYMBOL, cost DOUBLE, currency SYMBOL
  ) TIMESTAMP(day) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(day, device_id)`,
  anomalies: `CREATE TABLE IF NOT EXISTS anomalies (
    ts TIMESTAMP, device_id SYMBOL CAPACITY 16384, type SYMBOL, energy_wh_total DOUBLE, retracted BOOLEAN
  ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, device_id, type)`,
  // The registry's devices, mirrored for analysts' joins. One row per device: every row has the same designated
  // timestamp, so DEDUP on (ts, device_id) makes each write an upsert by device. energy_system_id and array_id are
  // the system and inverter array whose energy the device counts in (the group views, groups.ts); generation: its
  // energy is generated (an inverter, or a device measuring one), what the live feed's figures show.
  devices: `CREATE TABLE IF NOT EXISTS devices (
    ts TIMESTAMP, device_id SYMBOL CAPACITY 16384, site_id SYMBOL, system_id LONG, group_name SYMBOL,
    kind SYMBOL, timezone SYMBOL, energy_system_id LONG, array_id LONG, generation BOOLEAN
  ) TIMESTAMP(ts) PARTITION BY YEAR WAL DEDUP UPSERT KEYS(ts, device_id)`,
} as const;

/** Columns added since a table was first created: a table made by an older version gains them. */
const ADDED_COLUMNS = [
  { table: "anomalies", column: "retracted", type: "BOOLEAN" },
  { table: "ledger", column: "ended_by", type: "SYMBOL" },
  { table: "energy_hourly", column: "replacements", type: "INT" },
  { table: "energy_daily", column: "replacements", type: "INT" },
  { table: "devices", column: "energy_system_id", type: "LONG" },
  { table: "devices", column: "array_id", type: "LONG" },
  { table: "devices", column: "generation", type: "BOOLEAN" },
];

/** DEDUP keys changed since a table was first created. */
const ADDED_KEYS = [{ table: "ledger", column: "ended_by", keys: "ts, device_id, ended_by" }];

export async function ensureLedgerTables(questdb: pg.Pool): Promise<void> {
  for (const ddl of Object.values(LEDGER_TABLES)) await questdb.query(ddl);
  const column = async (table: string, name: string) => {
    const { rows } = await questdb.query<{ upsertKey: boolean }>(
      `SELECT upsertKey FROM table_columns('${table}') WHERE "column" = $1`,
      [name],
    );
    return rows[0];
  };
  // QuestDB refuses an ADD COLUMN IF NOT EXISTS that has nothing to do, so look first.
  for (const { table, column: name, type } of ADDED_COLUMNS) {
    if ((await column(table, name)) === undefined)
      await questdb.query(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }
  for (const { table, column: name, keys } of ADDED_KEYS) {
    if ((await column(table, name))?.upsertKey !== true)
      await questdb.query(`ALTER TABLE ${table} DEDUP ENABLE UPSERT KEYS(${keys})`);
  }
  await ensureGroupViews(questdb);
}
