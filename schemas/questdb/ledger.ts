// The ledger's QuestDB tables. WAL tables with DEDUP UPSERT KEYS: a crash, a redelivery or a replay rewrites the
// same rows instead of adding them, so every write may be repeated.
import type pg from "pg";

export const LEDGER_TABLES = {
  readings: `CREATE TABLE IF NOT EXISTS readings (
    ts TIMESTAMP, device_id SYMBOL CAPACITY 16384, energy_wh_total DOUBLE, power_w DOUBLE, boot_id VARCHAR,
    seq LONG, ts_source SYMBOL, source SYMBOL, received_at TIMESTAMP
  ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, device_id)`,
  ledger: `CREATE TABLE IF NOT EXISTS ledger (
    ts TIMESTAMP, device_id SYMBOL CAPACITY 16384, from_ts TIMESTAMP, delta_wh DOUBLE,
    classification SYMBOL, confidence SYMBOL
  ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, device_id)`,
  energy_hourly: `CREATE TABLE IF NOT EXISTS energy_hourly (
    hour_start TIMESTAMP, device_id SYMBOL CAPACITY 16384, local_date SYMBOL, energy_wh DOUBLE, readings INT,
    duplicates INT, resets INT, anomalies INT, confidence SYMBOL, cost DOUBLE, currency SYMBOL
  ) TIMESTAMP(hour_start) PARTITION BY DAY WAL DEDUP UPSERT KEYS(hour_start, device_id)`,
  energy_daily: `CREATE TABLE IF NOT EXISTS energy_daily (
    day TIMESTAMP, device_id SYMBOL CAPACITY 16384, energy_wh DOUBLE, hours INT, readings INT, duplicates INT,
    resets INT, anomalies INT, confidence SYMBOL, cost DOUBLE, currency SYMBOL
  ) TIMESTAMP(day) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(day, device_id)`,
  anomalies: `CREATE TABLE IF NOT EXISTS anomalies (
    ts TIMESTAMP, device_id SYMBOL CAPACITY 16384, type SYMBOL, energy_wh_total DOUBLE, retracted BOOLEAN
  ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, device_id, type)`,
  // The registry's devices, mirrored for analysts' joins. One row per device: every row has the same designated
  // timestamp, so DEDUP on (ts, device_id) makes each write an upsert by device.
  devices: `CREATE TABLE IF NOT EXISTS devices (
    ts TIMESTAMP, device_id SYMBOL CAPACITY 16384, site_id SYMBOL, system_id LONG, group_name SYMBOL,
    kind SYMBOL, timezone SYMBOL
  ) TIMESTAMP(ts) PARTITION BY YEAR WAL DEDUP UPSERT KEYS(ts, device_id)`,
} as const;

/** Columns added since a table was first created: a table made by an older version gains them. */
const ADDED_COLUMNS = [{ table: "anomalies", column: "retracted", type: "BOOLEAN" }];

export async function ensureLedgerTables(questdb: pg.Pool): Promise<void> {
  for (const ddl of Object.values(LEDGER_TABLES)) await questdb.query(ddl);
  for (const { table, column, type } of ADDED_COLUMNS) {
    // QuestDB refuses an ADD COLUMN IF NOT EXISTS that has nothing to do, so look first.
    const { rowCount } = await questdb.query(
      `SELECT "column" FROM table_columns('${table}') WHERE "column" = $1`,
      [column],
    );
    if (rowCount === 0) await questdb.query(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
}
