// A battery bank that charges from the midday sun and discharges in the evening. Its energy counter counts the
// energy it delivered (discharged); `power_w` is signed, positive while discharging.

import { clamp, type Sample, type StepContext } from "./physics.ts";
import { type Rng, uniform } from "./rng.ts";
import { solarFraction } from "./solar.ts";

export interface BatteryModel {
  kind: "battery";
  capacityWh: number;
  maxPowerW: number;
  /** State of charge, 0–1. */
  soc: number;
}

const SOC_MIN = 0.1;
const SOC_MAX = 0.95;
const CHARGE_EFFICIENCY = 0.95;

export function createBattery(rng: Rng): BatteryModel {
  const capacityWh = Math.round(uniform(rng, 5, 20)) * 1000;
  return {
    kind: "battery",
    capacityWh,
    maxPowerW: Math.round(capacityWh * uniform(rng, 0.3, 0.5)),
    soc: uniform(rng, 0.3, 0.8),
  };
}

export function stepBattery(
  m: BatteryModel,
  ctx: StepContext,
  rng: Rng,
): { model: BatteryModel; sample: Sample } {
  const h = ctx.local.hour;
  const sun = solarFraction(ctx.local, ctx.latitude);
  const dtH = ctx.dtS / 3600;
  let powerW = 0;
  if (sun > 0.15 && h < 16) {
    const roomWh = ((SOC_MAX - m.soc) * m.capacityWh) / CHARGE_EFFICIENCY;
    powerW = -Math.min(
      m.maxPowerW * Math.min(1, sun * 1.2) * uniform(rng, 0.7, 1),
      Math.max(0, roomWh) / dtH,
    );
  } else if (h >= 17 || h < 6) {
    const availableWh = (m.soc - SOC_MIN) * m.capacityWh;
    powerW = Math.min(m.maxPowerW * uniform(rng, 0.2, 0.6), Math.max(0, availableWh) / dtH);
  }
  const energyWh = powerW * dtH;
  const soc = clamp(m.soc - (energyWh > 0 ? energyWh : energyWh * CHARGE_EFFICIENCY) / m.capacityWh, 0, 1);
  return {
    model: { ...m, soc },
    sample: {
      powerW,
      energyWh: Math.max(0, energyWh),
      // A 48 V lithium bank: about 48 V empty, 54 V full.
      voltageV: 48 + 6 * soc,
      extra: { soc_pct: Math.round(soc * 1000) / 10 },
    },
  };
}
