// From the records on the telemetry topic (readings and meter replacements) to the core's inputs.
import type { DecodedRecord } from "../../schemas/codec/schema-store.ts";
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

export function toReading(r: TelemetryReading): Reading {
  // The optional fields are set in place: a spread would build an object for each, for every reading.
  const reading: Reading = { device_id: r.device_id, ts: r.ts, energy_wh_total: r.energy_wh_total };
  if (r.power_w !== null) reading.power_w = r.power_w;
  if (r.boot_id !== null) reading.boot_id = r.boot_id;
  if (r.seq !== null) reading.seq = r.seq;
  return reading;
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

export function toInput(input: TelemetryInput): DeviceInput {
  return input.name === "MeterReplacement" ? toReplacement(input.record) : toReading(input.record);
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
