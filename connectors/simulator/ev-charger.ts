// An EV charging station: each connector is idle or charging a car; sessions start more often in the morning and
// evening and end when the car has taken its energy.
import type { LocalTime } from "./clock.ts";
import { eventProbability, type Sample, type StepContext } from "./physics.ts";
import { pick, type Rng, uniform } from "./rng.ts";

export interface EvChargerModel {
  kind: "ev_charger";
  /** Account segment of the station's `<account>/sweet-home/<station>/…` topics. */
  account: string;
  connectorPowerW: number;
  /** Energy each connector still has to deliver in its session; 0 = idle. One entry per connector. */
  remainingWh: number[];
}

function sessionRate(t: LocalTime): number {
  if (t.hour >= 7 && t.hour < 9) return 0.3;
  if (t.hour >= 17 && t.hour < 21) return 0.4;
  if (t.hour >= 9 && t.hour < 17) return 0.15;
  return 0.05;
}

export function createEvCharger(rng: Rng, account: string): EvChargerModel {
  const connectors = pick(rng, [1, 2, 2, 2, 4]);
  return {
    kind: "ev_charger",
    account,
    connectorPowerW: pick(rng, [7400, 11_000, 22_000]),
    remainingWh: Array.from({ length: connectors }, () => 0),
  };
}

export function stepEvCharger(
  m: EvChargerModel,
  ctx: StepContext,
  rng: Rng,
): { model: EvChargerModel; sample: Sample } {
  const dtH = ctx.dtS / 3600;
  let energyWh = 0;
  const remainingWh = m.remainingWh.map((left) => {
    if (left <= 0)
      return rng.next() < eventProbability(sessionRate(ctx.local), ctx.dtS) ? uniform(rng, 5000, 45_000) : 0;
    const delivered = Math.min(left, m.connectorPowerW * dtH);
    energyWh += delivered;
    return left - delivered;
  });
  const charging = remainingWh.filter((left) => left > 0).length;
  return {
    model: { ...m, remainingWh },
    sample: {
      powerW: energyWh / dtH,
      energyWh,
      // 11 and 22 kW chargers are three-phase.
      voltageV: m.connectorPowerW > 7400 ? 400 : ctx.gridVoltageV,
      extra: { connectors_charging: charging },
    },
  };
}
