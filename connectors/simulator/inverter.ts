// A solar inverter: its rated capacity times the clear-sky curve times passing clouds.

import { clamp, type Sample, type StepContext } from "./physics.ts";
import { gaussian, type Rng, uniform } from "./rng.ts";
import { solarFraction } from "./solar.ts";

export interface InverterModel {
  kind: "inverter";
  capacityW: number;
  /** 1 = clear sky; drifts slowly so that output rises and falls over minutes, not per reading. */
  cloud: number;
}

const EFFICIENCY = 0.96;

export function createInverter(rng: Rng): InverterModel {
  // Mostly rooftop systems, one in six a commercial array.
  const capacityW =
    rng.next() < 1 / 6
      ? Math.round(uniform(rng, 20_000, 60_000) / 1000) * 1000
      : Math.round(uniform(rng, 3000, 12_000) / 100) * 100;
  return { kind: "inverter", capacityW, cloud: uniform(rng, 0.6, 1) };
}

export function stepInverter(
  m: InverterModel,
  ctx: StepContext,
  rng: Rng,
): { model: InverterModel; sample: Sample } {
  const cloud = clamp(m.cloud + 0.06 * gaussian(rng) * Math.sqrt(ctx.dtS / 300), 0.2, 1);
  const clearSky = solarFraction(ctx.local, ctx.latitude);
  const powerW =
    clearSky === 0
      ? 0
      : Math.max(0, m.capacityW * clearSky * cloud * EFFICIENCY * (1 + 0.01 * gaussian(rng)));
  return {
    model: { ...m, cloud },
    sample: { powerW, energyWh: (powerW * ctx.dtS) / 3600, voltageV: ctx.gridVoltageV, extra: {} },
  };
}
