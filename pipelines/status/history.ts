// Every transition as a row of the QuestDB table device_status_history (schemas/questdb/status-history.ts). A
// redelivered batch writes the same (ts, device_id) again, which DEDUP UPSERT KEYS turns into an overwrite.
import type { RowSender } from "../../ground/questdb.ts";
import { HISTORY_TABLE } from "../../schemas/questdb/status-history.ts";
import type { DeviceTransition } from "./transitions.ts";

export async function writeHistory(
  sender: RowSender,
  transitions: readonly DeviceTransition[],
): Promise<void> {
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
