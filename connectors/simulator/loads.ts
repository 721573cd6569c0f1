// Switching loads behind a meter or a classroom ESP32 power monitor: each load turns on at random with a rate that
// follows the local time of day (classes on weekdays, mornings and evenings at home) and stays on for a random span.
import type { LocalTime } from "./clock.ts";
import { eventProbability, type Sample, type StepContext } from "./physics.ts";
import { gaussian, integer, type Rng, uniform } from "./rng.ts";

type Schedule = "class" | "household" | "evening" | "cycling";

export interface Load {
  name: string;
  powerW: number;
  schedule: Schedule;
  meanOnMin: number;
  on: boolean;
}

export interface LoadsModel {
  kind: "meter" | "classroom";
  /** Always drawn: standby, the monitor itself, network gear. */
  baseW: number;
  loads: Load[];
}

/** Switch-on rate per hour for a load that is off. */
function onRate(schedule: Schedule, t: LocalTime): number {
  const weekday = t.weekday <= 5;
  switch (schedule) {
    case "class":
      return weekday && t.hour >= 8 && t.hour < 17 ? 3 : 0.05;
    case "household":
      return (t.hour >= 6 && t.hour < 9) || (t.hour >= 17 && t.hour < 23) ? 1.5 : 0.2;
    case "evening":
      return t.hour >= 17 && t.hour < 23 ? 2 : t.hour >= 23 || t.hour < 6 ? 0.02 : 0.1;
    case "cycling":
      return 4;
  }
}

const load = (name: string, powerW: number, schedule: Schedule, meanOnMin: number): Load => ({
  name,
  powerW,
  schedule,
  meanOnMin,
  on: false,
});

export function createMeter(rng: Rng): LoadsModel {
  return {
    kind: "meter",
    baseW: Math.round(uniform(rng, 80, 400)),
    loads: [
      load("fridge", 150, "cycling", 12),
      load("kettle", 2000, "household", 3),
      load("oven", 2500, "evening", 40),
      load("washer", 800, "household", 60),
      load("heat_pump", Math.round(uniform(rng, 1000, 3000)), "household", 45),
      load("lights", Math.round(uniform(rng, 100, 400)), "evening", 120),
    ],
  };
}

export function createClassroom(rng: Rng): LoadsModel {
  const loads = [
    load("lights", 36 * integer(rng, 4, 10), "class", 90),
    load("fans", 75 * integer(rng, 2, 4), "class", 60),
    load("projector", 250, "class", 45),
  ];
  if (rng.next() < 0.4) loads.push(load("air_conditioner", 1500, "class", 50));
  return { kind: "classroom", baseW: 5, loads };
}

export function stepLoads(m: LoadsModel, ctx: StepContext, rng: Rng): { model: LoadsModel; sample: Sample } {
  const loads = m.loads.map((l) => {
    const p = l.on
      ? eventProbability(60 / l.meanOnMin, ctx.dtS)
      : eventProbability(onRate(l.schedule, ctx.local), ctx.dtS);
    return rng.next() < p ? { ...l, on: !l.on } : l;
  });
  let powerW = m.baseW * (1 + 0.02 * gaussian(rng));
  for (const l of loads) if (l.on) powerW += l.powerW * (1 + 0.03 * gaussian(rng));
  powerW = Math.max(0, powerW);
  const loadsOn = loads.filter((l) => l.on).length;
  return {
    model: { ...m, loads },
    sample: {
      powerW,
      energyWh: (powerW * ctx.dtS) / 3600,
      voltageV: ctx.gridVoltageV,
      extra: { switch_state: loadsOn > 0 ? "on" : "off", loads_on: loadsOn },
    },
  };
}
