// One device, one reading: `(state, simTime, rng) → (state, messages)`. No I/O and no clock of its own, so a run
// is a pure function of the seed and the schedule.
import { stepBattery } from "./battery.ts";
import { localTime } from "./clock.ts";
import { stepEvCharger } from "./ev-charger.ts";
import { deliver, type FaultRates, type FaultState, initialFaultState, planFault } from "./faults.ts";
import type { DeviceSpec, Model } from "./fleet.ts";
import { stepInverter } from "./inverter.ts";
import { stepLoads } from "./loads.ts";
import {
  connectorsCountTopic,
  heartbeatTopic,
  iso,
  type Message,
  type TelemetryPayload,
  telemetryTopic,
} from "./messages.ts";
import type { Sample, StepContext } from "./physics.ts";
import { gaussian, hex, integer, type Rng, uniform } from "./rng.ts";

export interface DeviceState {
  model: Model;
  /** The device's true cumulative counter, Wh. */
  energyWh: number;
  bootId: string;
  bootMs: number;
  /** Sequence number of the next reading in this boot. */
  seq: number;
  lastReadingMs: number | null;
  lastHeartbeatMs: number | null;
  faults: FaultState;
}

export interface StepOptions {
  intervalMs: number;
  heartbeatMs: number;
  /** `null`: a clean run. */
  faults: FaultRates | null;
}

export interface DeviceRngs {
  physics: Rng;
  faults: Rng;
  /** Signal strength in heartbeats: its own stream, so that heartbeat timing does not shift the physics. */
  radio: Rng;
}

export function initialState(model: Model, startMs: number, rng: Rng): DeviceState {
  return {
    model,
    // Devices join with the history a real fleet has: counters well past zero, booted days ago.
    energyWh: Math.round(uniform(rng, 0, 5_000_000)),
    bootId: hex(rng, 8),
    bootMs: startMs - Math.round(uniform(rng, 0, 30 * 86_400_000)),
    seq: 0,
    lastReadingMs: null,
    lastHeartbeatMs: null,
    faults: initialFaultState(),
  };
}

function stepModel(model: Model, ctx: StepContext, rng: Rng): { model: Model; sample: Sample } {
  switch (model.kind) {
    case "inverter":
      return stepInverter(model, ctx, rng);
    case "battery":
      return stepBattery(model, ctx, rng);
    case "meter":
    case "classroom":
      return stepLoads(model, ctx, rng);
    case "ev_charger":
      return stepEvCharger(model, ctx, rng);
  }
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function stepDevice(
  spec: DeviceSpec,
  state: DeviceState,
  simMs: number,
  rngs: DeviceRngs,
  o: StepOptions,
): { state: DeviceState; messages: Message[] } {
  const plan = o.faults
    ? planFault(state.faults, o.faults, rngs.faults)
    : { state: state.faults, silent: false, fault: null };
  let { energyWh, bootId, bootMs, seq } = state;
  if (plan.fault === "reset") energyWh = 0;
  if (plan.fault === "reboot") {
    energyWh = 0;
    bootId = hex(rngs.faults, 8);
    bootMs = simMs;
    seq = 0;
  }

  const dtS = (state.lastReadingMs === null ? o.intervalMs : simMs - state.lastReadingMs) / 1000;
  const ctx: StepContext = {
    local: localTime(simMs, spec.timezone),
    latitude: spec.latitude,
    dtS,
    gridVoltageV: spec.gridVoltageV,
  };
  const { model, sample } = stepModel(state.model, ctx, rngs.physics);
  energyWh += sample.energyWh;
  const voltageV = sample.voltageV * (1 + 0.01 * gaussian(rngs.physics));

  const next: DeviceState = {
    ...state,
    model,
    energyWh,
    bootId,
    bootMs,
    seq: seq + 1,
    lastReadingMs: simMs,
    faults: plan.state,
  };
  // A silent device still measures and counts; its sequence numbers move on, so a gap shows as a jump in seq.
  if (plan.silent) return { state: next, messages: [] };

  const reading: TelemetryPayload = {
    device_id: spec.id,
    ts: iso(simMs),
    energy_wh_total: round(energyWh, 3),
    power_w: round(sample.powerW, 1),
    voltage_v: round(voltageV, 1),
    current_a: round(Math.abs(sample.powerW) / voltageV, 3),
    boot_id: bootId,
    seq,
    ...sample.extra,
  };
  const delivery = o.faults
    ? deliver(plan.state, plan.fault, reading, rngs.faults)
    : { state: plan.state, out: [{ payload: reading }] };
  next.faults = delivery.state;
  const topic = telemetryTopic(spec.id);
  const messages: Message[] = delivery.out.map((d) => ({
    topic,
    payload: d.payload,
    deviceId: spec.id,
    ...(d.fault ? { fault: d.fault } : {}),
  }));

  if (state.lastHeartbeatMs === null || simMs - state.lastHeartbeatMs >= o.heartbeatMs) {
    next.lastHeartbeatMs = simMs;
    messages.push({
      topic: heartbeatTopic(spec.id),
      payload: {
        device_id: spec.id,
        ts: iso(simMs),
        boot_id: bootId,
        uptime_s: Math.floor((simMs - bootMs) / 1000),
        rssi_dbm: integer(rngs.radio, -85, -45),
        firmware: spec.firmware,
      },
      deviceId: spec.id,
    });
    if (model.kind === "ev_charger")
      messages.push(connectorsCountMessage(spec, model.remainingWh.length, model.account));
  }
  return { state: next, messages };
}

export const connectorsCountMessage = (spec: DeviceSpec, count: number, account: string): Message => ({
  topic: connectorsCountTopic(account, spec.id),
  payload: count,
  deviceId: spec.id,
});
