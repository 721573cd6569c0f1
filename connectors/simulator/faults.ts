// The fault injector: decides, per reading, whether something goes wrong and what, and applies what happens to
// the reading or its delivery. Counter resets and reboots change the device itself; the device model applies those.
import { FAULT_KINDS, type FaultKind } from "./fault-kinds.ts";
import type { TelemetryPayload } from "./messages.ts";
import { chance, integer, type Rng } from "./rng.ts";

/** Probability per reading of each fault. */
export type FaultRates = Record<FaultKind, number>;

// Rare enough that well over 99 % of readings are clean, frequent enough that a 1000-device fleet shows every kind
// within minutes of simulated time.
export const DEFAULT_FAULT_RATES: FaultRates = {
  reset: 0.0003,
  reboot: 0.0005,
  dip: 0.002,
  glitch: 0.001,
  gap: 0.0005,
  duplicate: 0.002,
  out_of_order: 0.002,
};

/** A dip stays under the ledger's default noise tolerance (1 Wh), so it must not count as a reset. */
export const DIP_WH = 0.3;
/** A glitch spike: a 32-bit mWh counter's all-ones value, far beyond what any device can add in one interval. */
export const SPIKE_WH = 4_294_967.295;
/** A gap swallows this many readings. */
export const GAP_READINGS = { min: 3, max: 120 } as const;

export interface FaultState {
  /** Readings still to swallow in the current gap. */
  silentLeft: number;
  /** A gap has just ended: the next reading carries the gap label. */
  resuming: boolean;
  /** A reading held back, to be delivered after the next one. */
  held: TelemetryPayload | null;
  /** The counter of the previous reading, which dips and glitches deviate from; null before the first reading
   * and after a dip or glitch. */
  prevEnergy: number | null;
}

export const initialFaultState = (): FaultState => ({
  silentLeft: 0,
  resuming: false,
  held: null,
  prevEnergy: null,
});

export interface Plan {
  state: FaultState;
  /** The device measures but sends nothing. */
  silent: boolean;
  fault: FaultKind | null;
}

/** Before the device measures: is it silent, and which fault (at most one) strikes this reading. */
export function planFault(s: FaultState, rates: FaultRates, rng: Rng): Plan {
  if (s.silentLeft > 0) {
    return {
      state: { ...s, silentLeft: s.silentLeft - 1, resuming: s.silentLeft === 1 },
      silent: true,
      fault: null,
    };
  }
  if (s.resuming) return { state: { ...s, resuming: false }, silent: false, fault: "gap" };
  const fault = roll(rates, rng);
  if (fault === null || !applicable(fault, s)) return { state: s, silent: false, fault: null };
  if (fault === "gap") {
    return {
      state: { ...s, silentLeft: integer(rng, GAP_READINGS.min, GAP_READINGS.max) - 1 },
      silent: true,
      fault: null,
    };
  }
  return { state: s, silent: false, fault };
}

/** Whether a fault can strike now. The reading after a dip or glitch stays clean, so that those remain one-reading
 * faults (so does a device's first reading); a gap or another hold-back waits until a held reading is out. */
function applicable(fault: FaultKind, s: FaultState): boolean {
  if (s.prevEnergy === null) return false;
  if (fault === "dip") return s.prevEnergy >= DIP_WH;
  if (fault === "gap" || fault === "out_of_order") return s.held === null;
  return true;
}

function roll(rates: FaultRates, rng: Rng): FaultKind | null {
  let r = rng.next();
  for (const kind of FAULT_KINDS) {
    if (r < rates[kind]) return kind;
    r -= rates[kind];
  }
  return null;
}

export interface Delivery {
  payload: TelemetryPayload;
  fault?: FaultKind;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** After the device measured: the readings that leave it now, in delivery order. */
export function deliver(
  s: FaultState,
  fault: FaultKind | null,
  reading: TelemetryPayload,
  rng: Rng,
): { state: FaultState; out: Delivery[] } {
  const out: Delivery[] = [];
  let held: TelemetryPayload | null = s.held;
  let prevEnergy: number | null = reading.energy_wh_total;
  switch (fault) {
    case "dip":
      out.push({
        payload: { ...reading, energy_wh_total: round3((s.prevEnergy ?? 0) - DIP_WH) },
        fault,
      });
      prevEnergy = null;
      break;
    case "glitch": {
      // A zero is a glitch only where the counter is clearly above zero; elsewhere the spike.
      const zero = chance(rng, 0.5) && (s.prevEnergy ?? 0) > 1;
      const energy = zero ? 0 : round3(reading.energy_wh_total + SPIKE_WH);
      out.push({ payload: { ...reading, energy_wh_total: energy }, fault });
      prevEnergy = null;
      break;
    }
    case "duplicate":
      out.push({ payload: reading }, { payload: reading, fault });
      break;
    case "out_of_order":
      held = reading;
      break;
    case null:
      out.push({ payload: reading });
      break;
    default:
      out.push({ payload: reading, fault });
  }
  if (s.held !== null && fault !== "out_of_order") {
    out.push({ payload: s.held, fault: "out_of_order" });
    held = null;
  }
  return { state: { ...s, held, prevEnergy }, out };
}
