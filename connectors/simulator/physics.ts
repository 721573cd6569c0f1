// What every device kind's model gets and gives back for one reading interval. Models are plain data in, plain data
// out: the parameters and the evolving state of one device travel together in one immutable record.
import type { LocalTime } from "./clock.ts";

export interface StepContext {
  local: LocalTime;
  latitude: number;
  /** Seconds since the previous reading: energy accrues over this span. */
  dtS: number;
  /** Nominal AC voltage at the site. */
  gridVoltageV: number;
}

export interface Sample {
  /** Signed for batteries (positive: discharging); otherwise ≥ 0. */
  powerW: number;
  /** What the device's energy counter gained over the interval, ≥ 0. */
  energyWh: number;
  /** Nominal voltage at the measuring point (AC grid, or the battery's DC bus). */
  voltageV: number;
  /** Kind-specific payload fields (switch_state, soc_pct …). */
  extra: Record<string, string | number>;
}

/** Probability that a Poisson event with `ratePerHour` happens within `dtS` seconds. */
export const eventProbability = (ratePerHour: number, dtS: number): number =>
  1 - Math.exp((-ratePerHour * dtS) / 3600);

export const clamp = (x: number, min: number, max: number): number => Math.min(max, Math.max(min, x));
