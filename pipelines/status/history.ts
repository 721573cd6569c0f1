// Every transition as a row of the QuestDB table device_status_history. A redelivered batch writes the same
// (ts, device_id) again, which DEDUP UPSERT KEYS turns into an overwrite rather than a second row.
import type pg from "pg";
import type { Sender } from "../runtime/questdb.ts";
import type { DeviceTransition } from "./transitions.ts";

export const HISTORY_TABLE = "device_status_history";

export async function ensureHistoryTable(questdb: pg.Pool): Promise<void> {
  await questdb.query(
    `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
       device_id SYMBOL, status SYMBOL, previous_status SYMBOL, reason SYMBOL, received_at TIMESTAMP, ts TIMESTAMP
     ) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, device_id)`,
  );
}

export async function writeHistory(sender: Sender, transitions: readonly DeviceTransition[]): Promise<void> {
  if (transitions.length === 0) return;
  for (const t of transitions) {
    sender.table(HISTORY_TABLE).symbol("device_id", t.deviceId).symbol("status", t.to);
    if (t.from !== null) sender.symbol("previous_status", t.from);
    await sender.symbol("reason", t.reason).timestampColumn("received_at", t.derivedAt, "ms").at(t.ts, "ms");
  }
  try {
    await sender.flush();
  } catch (err) {
    // Unsent rows would otherwise go out again ahead of the retried batch's own.
    sender.reset();
    throw err;
  }
}
