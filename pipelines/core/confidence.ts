// How much an interval's energy can be trusted (spec: "Confidence").
import type { Classification } from "./classify.ts";
import type { DeviceSettings } from "./settings.ts";

export type Confidence = "high" | "medium" | "low";

const SIX_HOURS_MS = 6 * 3_600_000;

export function intervalConfidence(
  durationMs: number,
  classification: Classification,
  settings: DeviceSettings,
): Confidence {
  const expectedMs = 5 * settings.expected_interval_s * 1000;
  // A reset after a long silence may have lost what the old counter counted after its last reading.
  if (classification === "jump" || (classification === "reset" && durationMs > expectedMs)) return "low";
  if (durationMs <= expectedMs) return "high";
  return durationMs <= SIX_HOURS_MS ? "medium" : "low";
}

const RANK: Record<Confidence, number> = { low: 0, medium: 1, high: 2 };

/** The lower of two confidences; `null` (no interval yet) is the identity. */
export function lowestConfidence(a: Confidence | null, b: Confidence | null): Confidence | null {
  if (a === null) return b;
  if (b === null) return a;
  return RANK[a] <= RANK[b] ? a : b;
}
