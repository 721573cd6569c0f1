// Shared by the core tests: building readings and settings, folding, and rolling up outside `computeDevice`.
import { initialDeviceState } from "../../../pipelines/core/device-state.ts";
import { zoneClock } from "../../../pipelines/core/hours.ts";
import type { LedgerEntry, Output } from "../../../pipelines/core/outputs.ts";
import { flushPending, processInput } from "../../../pipelines/core/process.ts";
import type { Reading } from "../../../pipelines/core/reading.ts";
import { type DeviceInput, type MeterReplacement, orderInputs } from "../../../pipelines/core/replacement.ts";
import {
  bucketDeltas,
  type DayTotal,
  type HourBucket,
  isReported,
  mergeBucket,
  rollupDays,
} from "../../../pipelines/core/rollup.ts";
import { type DeviceSettings, defaultSettings } from "../../../pipelines/core/settings.ts";

export const DEVICE = "dev-1";

export function settings(overrides: Partial<DeviceSettings> = {}): DeviceSettings {
  return { ...defaultSettings(DEVICE), ...overrides };
}

/** A reading at `time` (`HH:MM` on 2025-01-01 UTC, or any ISO instant). */
export function at(time: string, energy: number, boot_id?: string): Reading {
  const ts = Date.parse(time.length === 5 ? `2025-01-01T${time}:00Z` : time);
  return boot_id === undefined
    ? { device_id: DEVICE, ts, energy_wh_total: energy }
    : { device_id: DEVICE, ts, energy_wh_total: energy, boot_id };
}

/** A meter replacement at `time` (as for `at`), with the old counter's final value if given. */
export function swap(time: string, final: number | null, initial = 0): MeterReplacement {
  const ts = Date.parse(time.length === 5 ? `2025-01-01T${time}:00Z` : time);
  return {
    kind: "meter_replacement",
    device_id: DEVICE,
    ts,
    old_final_wh_total: final,
    new_initial_wh_total: initial,
  };
}

/** The batch fold's outputs: ordered inputs, then the suspect left at the end. */
export function foldAll(readings: readonly DeviceInput[], s: DeviceSettings): Output[] {
  const outputs: Output[] = [];
  let state = initialDeviceState;
  for (const r of orderInputs(readings)) {
    const step = processInput(state, r, s);
    state = step.state;
    outputs.push(...step.outputs);
  }
  outputs.push(...flushPending(state, s).outputs);
  return outputs;
}

export function ledgerOf(outputs: readonly Output[]): LedgerEntry[] {
  return outputs.filter((o): o is LedgerEntry => o.kind === "ledger");
}

/** Rolls outputs up with the pure `mergeBucket` (the stream's way), for comparison with `computeDevice`. */
export function rollupOf(
  outputs: readonly Output[],
  s: DeviceSettings,
): { hourly: HourBucket[]; daily: DayTotal[] } {
  const clock = zoneClock(s.timezone);
  const buckets = new Map<number, HourBucket>();
  for (const o of outputs) {
    for (const d of bucketDeltas(o, clock))
      buckets.set(d.hour_start, mergeBucket(buckets.get(d.hour_start), d));
  }
  const all = [...buckets.values()].sort((a, b) => a.hour_start - b.hour_start);
  return { hourly: all.filter(isReported), daily: rollupDays(all, clock) };
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function close(a: number, b: number, relative = 1e-9): boolean {
  return Math.abs(a - b) <= relative * Math.max(1, Math.abs(a), Math.abs(b));
}
