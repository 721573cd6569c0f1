// The QuestDB table of device status transitions (pipelines/status/history.ts writes it). A redelivered batch
// writes the same (ts, device_id) again, which DEDUP UPSERT KEYS turns into an overwrite rather than a second row.
import type pg from "pg";

export const HISTORY_TABLE = "device_status_history";

export async function ensureHistoryTable(questdb: pg.Pool): Promise<void> {
  await questdb.query(
    `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
       device_id SYMBOL, status SYMBOL, previous_status SYMBOL, reason SYMBOL, received_at TIMESTAMP, ts TIMESTAMP
     ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, device_id)`,
  );
}
