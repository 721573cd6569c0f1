// A meter replacement (spec: "Meter replacement"): an event among a device's readings saying where the old counter
// ended and where the new one starts. Validated by hand like a reading, so that a rejection names the field.
import { type Parsed, parseReading, parseTimestamp, type Reading } from "./reading.ts";

export interface MeterReplacement {
  kind: "meter_replacement";
  device_id: string;
  /** The instant of the swap, epoch milliseconds. */
  ts: number;
  /** The old counter's last value, read at the swap; null when not known. */
  old_final_wh_total: number | null;
  /** The new counter's value at the swap. */
  new_initial_wh_total: number;
}

/** What the per-device fold takes, in time order: readings and meter replacements. */
export type DeviceInput = Reading | MeterReplacement;

export const REPLACEMENT_KIND = "meter_replacement";

export function isReplacement(input: DeviceInput): input is MeterReplacement {
  return (input as MeterReplacement).kind === REPLACEMENT_KIND;
}

/**
 * Whether `a` comes before `b` in a device's order: by ts, and at one ts a reading before an event (it was read
 * on the old counter).
 */
export function comesBefore(a: DeviceInput, b: DeviceInput): boolean {
  return a.ts < b.ts || (a.ts === b.ts && !isReplacement(a) && isReplacement(b));
}

/** Inputs in the device's order; the sort is stable, so of two alike with one ts the first received stays first. */
export function orderInputs<T extends DeviceInput>(inputs: readonly T[]): T[] {
  return [...inputs].sort((a, b) => a.ts - b.ts || Number(isReplacement(a)) - Number(isReplacement(b)));
}

/** Validates one decoded JSON value with `"kind": "meter_replacement"`. A `null` optional field counts as absent. */
export function parseReplacement(value: Record<string, unknown>): MeterReplacement | string {
  const { device_id, old_final_wh_total, new_initial_wh_total } = value;
  if (device_id === undefined) return "device_id: missing";
  if (typeof device_id !== "string" || device_id.length === 0) return "device_id: must be a non-empty string";
  if (value.ts === undefined) return "ts: missing";
  const ts = parseTimestamp(value.ts);
  if (typeof ts === "string") return ts;
  const final = counter("old_final_wh_total", old_final_wh_total);
  if (typeof final === "string") return final;
  const initial = counter("new_initial_wh_total", new_initial_wh_total);
  if (typeof initial === "string") return initial;
  return {
    kind: REPLACEMENT_KIND,
    device_id,
    ts,
    old_final_wh_total: final,
    new_initial_wh_total: initial ?? 0,
  };
}

function counter(field: string, v: unknown): number | null | string {
  if (v === undefined || v === null) return null;
  if (typeof v !== "number") return `${field}: must be a number`;
  if (!Number.isFinite(v)) return `${field}: must be finite`;
  if (v < 0) return `${field}: must not be negative`;
  return v;
}

/** One input line (NDJSON): a meter replacement when its `kind` says so, a reading otherwise. */
export function parseInputLine(line: string): Parsed | MeterReplacement {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "not valid JSON";
  }
  if (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === REPLACEMENT_KIND
  ) {
    return parseReplacement(value as Record<string, unknown>);
  }
  return parseReading(value);
}
