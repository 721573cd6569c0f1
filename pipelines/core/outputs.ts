// What the per-device fold emits. The stream writes these to its topics; the rollup folds them into hour buckets.
import type { Classification } from "./classify.ts";
import type { Confidence } from "./confidence.ts";
import type { DeviceInput } from "./replacement.ts";

/** One ledger interval `(from, to]` and the energy it carries. */
export interface LedgerEntry {
  kind: "ledger";
  device_id: string;
  from: number;
  to: number;
  delta_wh: number;
  classification: Classification;
  confidence: Confidence;
  /** Set on the interval that ends at a meter replacement's final value: kept apart from a reading's at `to`. */
  replacement?: true;
}

export type AnomalyType = "implausible_jump" | "glitch_dropped";

export interface Anomaly {
  kind: "anomaly";
  device_id: string;
  type: AnomalyType;
  /** The suspect reading's ts. */
  ts: number;
  energy_wh_total: number;
}

/** A valid, non-duplicate reading was received (counted in the rollups, whatever became of it). */
export interface ReadingSeen {
  kind: "reading";
  device_id: string;
  ts: number;
}

/** A second reading (or replacement) with a `ts` already taken: dropped, counted. */
export interface Duplicate {
  kind: "duplicate";
  device_id: string;
  ts: number;
}

/** A meter replacement was folded (counted in the rollups apart from resets). */
export interface ReplacementSeen {
  kind: "replacement";
  device_id: string;
  ts: number;
  old_final_wh_total: number | null;
  new_initial_wh_total: number;
}

/**
 * A reading or replacement that arrived too late to be folded in order: not accounted here, the device's range is
 * recomputed.
 */
export interface Late {
  kind: "late";
  input: DeviceInput;
}

export type Output = LedgerEntry | Anomaly | ReadingSeen | ReplacementSeen | Duplicate | Late;
