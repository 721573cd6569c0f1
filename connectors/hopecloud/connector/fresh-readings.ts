// A reading is published only when the cloud's data timestamp moved on. Polling faster than inverters upload would
// otherwise repeat the same reading: the ledger would drop it as a duplicate, but the topic would grow.
import type { TelemetryReading } from "../../../schemas/generated/types.ts";

export class FreshReadings {
  readonly #last = new Map<string, number>();

  /** True the first time a device's reading with this or a later ts is seen. */
  admit(r: TelemetryReading): boolean {
    const last = this.#last.get(r.device_id);
    if (last !== undefined && r.ts <= last) return false;
    this.#last.set(r.device_id, r.ts);
    return true;
  }
}
