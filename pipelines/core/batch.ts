// One device's batch result: order its readings and replacements, fold them, apply the suspect left at the end,
// roll up. The same `processInput`, `flushPending` and rollup functions as the stream, so both give the same numbers.
import { initialDeviceState } from "./device-state.ts";
import { zoneClock } from "./hours.ts";
import type { Anomaly, Output } from "./outputs.ts";
import { flushPending, processInput } from "./process.ts";
import { type DeviceInput, orderInputs } from "./replacement.ts";
import { addInto, bucketDeltas, type DayTotal, type HourBucket, isReported, rollupDays } from "./rollup.ts";
import type { DeviceSettings } from "./settings.ts";

export interface DeviceResult {
  device_id: string;
  /** Reported hour buckets, in time order. */
  hourly: HourBucket[];
  daily: DayTotal[];
  anomalies: Anomaly[];
  /** Σ of the ledger deltas (a check on the rollup: Σ hourly equals it). */
  ledger_wh: number;
}

/** `inputs` (readings and replacements) in the order received, all of `settings.device_id`. */
export function computeDevice(inputs: readonly DeviceInput[], settings: DeviceSettings): DeviceResult {
  const clock = zoneClock(settings.timezone);
  const buckets = new Map<number, HourBucket>();
  const anomalies: Anomaly[] = [];
  let ledger_wh = 0;
  const collect = (outputs: Output[]) => {
    for (const o of outputs) {
      if (o.kind === "anomaly") anomalies.push(o);
      else if (o.kind === "ledger") ledger_wh += o.delta_wh;
      for (const d of bucketDeltas(o, clock)) {
        const b = buckets.get(d.hour_start);
        // The deltas are fresh objects, so the first one can become the accumulator.
        if (b === undefined) buckets.set(d.hour_start, d);
        else addInto(b, d);
      }
    }
  };
  let state = initialDeviceState;
  for (const input of orderInputs(inputs)) {
    const step = processInput(state, input, settings);
    state = step.state;
    collect(step.outputs);
  }
  collect(flushPending(state, settings).outputs);
  const all = [...buckets.values()].sort((a, b) => a.hour_start - b.hour_start);
  return {
    device_id: settings.device_id,
    hourly: all.filter(isReported),
    daily: rollupDays(all, clock),
    anomalies,
    ledger_wh,
  };
}
