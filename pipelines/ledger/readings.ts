// From the records on the telemetry topic (readings and meter replacements) to the core's inputs.
import type { DecodedRecord, SchemaStore } from "../../schemas/codec/schema-store.ts";
import type {
  MeterReplacement as ReplacementRecord,
  TelemetryReading,
  WattlineRecords,
} from "../../schemas/generated/types.ts";
import type { Reading } from "../core/reading.ts";
import { type DeviceInput, type MeterReplacement, REPLACEMENT_KIND } from "../core/replacement.ts";
import { tsOutOfRange } from "../core/ts-range.ts";

/** The records the telemetry topic holds, in one device's order. */
export const TELEMETRY_RECORDS = ["TelemetryReading", "MeterReplacement"] as const;

export type TelemetryInput =
  | { name: "TelemetryReading"; record: TelemetryReading }
  | { name: "MeterReplacement"; record: ReplacementRecord };

/**
 * The core's reading of a record, with `device_id` (by default the record's) as its device: the stream passes the
 * string its store already keeps, not one more copy per reading for the reorder buffer to hold.
 */
export function toReading(r: TelemetryReading, device_id = r.device_id): Reading {
  const { ts, energy_wh_total, power_w, boot_id, seq } = r;
  // One literal per shape: a property added after an object is built goes to an array of its own, and a device's
  // reorder buffer holds every reading of its allowed lateness (measured: 40 bytes more for each of 2.4 M held).
  if (boot_id === null) {
    if (power_w === null)
      return seq === null ? { device_id, ts, energy_wh_total } : { device_id, ts, energy_wh_total, seq };
    return seq === null
      ? { device_id, ts, energy_wh_total, power_w }
      : { device_id, ts, energy_wh_total, power_w, seq };
  }
  if (power_w === null)
    return seq === null
      ? { device_id, ts, energy_wh_total, boot_id }
      : { device_id, ts, energy_wh_total, boot_id, seq };
  return seq === null
    ? { device_id, ts, energy_wh_total, power_w, boot_id }
    : { device_id, ts, energy_wh_total, power_w, boot_id, seq };
}

export function toReplacement(r: ReplacementRecord): MeterReplacement {
  return {
    kind: REPLACEMENT_KIND,
    device_id: r.device_id,
    ts: r.ts,
    old_final_wh_total: r.old_final_wh_total,
    new_initial_wh_total: r.new_initial_wh_total,
  };
}

/** The core's input of a record; a reading's device is `device_id` when given (see `toReading`). */
export function toInput(input: TelemetryInput, device_id?: string): DeviceInput {
  return input.name === "MeterReplacement" ? toReplacement(input.record) : toReading(input.record, device_id);
}

/**
 * A decoded record of the telemetry topic that the ledger folds: a reading or replacement whose ts is in range
 * (the processor dead-letters the rest); undefined for anything else. For the readers beside the stream
 * (recalculation, replay), which must take in what the stream took in.
 */
export function telemetryInput(
  decoded: DecodedRecord<WattlineRecords>,
  maxFutureMs: number,
): TelemetryInput | undefined {
  if (decoded.name !== "TelemetryReading" && decoded.name !== "MeterReplacement") return undefined;
  const input = decoded as TelemetryInput;
  return tsOutOfRange(input.record.ts, input.record.received_at, maxFutureMs) === undefined
    ? input
    : undefined;
}

/** A message of the telemetry topic as `telemetryInput` takes it; undefined for one that does not decode. */
export function decodeTelemetry(
  store: SchemaStore<WattlineRecords>,
  value: Buffer,
  maxFutureMs: number,
): TelemetryInput | undefined {
  try {
    return telemetryInput(store.decode(value), maxFutureMs);
  } catch {
    return undefined;
  }
}
