// The fleet in simulated time: which device reads next, and its messages. Device j reads at
// start + phase_j + k × interval; phases grow with j and stay below one interval, so the readings come due in
// (k, j) order and a cursor replaces a priority queue.
import {
  connectorsCountMessage,
  type DeviceRngs,
  type DeviceState,
  initialState,
  type StepOptions,
  stepDevice,
} from "./device.ts";
import type { FaultRates } from "./faults.ts";
import { createFleet, type DeviceSpec, deviceRng, type FleetDevice } from "./fleet.ts";
import { type Message, statusMessage } from "./messages.ts";

interface Runtime {
  spec: DeviceSpec;
  state: DeviceState;
  rngs: DeviceRngs;
}

export interface EngineOptions extends StepOptions {
  startMs: number;
}

/** A fleet and its engine from the run's settings. */
export interface FleetSetup {
  devices: number;
  seed: number;
  startMs: number;
  intervalS: number;
  heartbeatS: number;
  faults: FaultRates | null;
  timezones: string[];
  prefix: string;
}

export class FleetEngine {
  private readonly devices: Runtime[];
  private cycle = 0;
  private cursor = 0;

  constructor(
    fleet: FleetDevice[],
    private readonly o: EngineOptions,
  ) {
    if (fleet.length === 0) throw new Error("a fleet needs at least one device");
    this.devices = fleet.map(({ spec, model }) => ({
      spec,
      state: initialState(model, o.startMs, deviceRng(spec, "boot")),
      rngs: {
        physics: deviceRng(spec, "physics"),
        faults: deviceRng(spec, "faults"),
        radio: deviceRng(spec, "radio"),
      },
    }));
  }

  static create(o: FleetSetup): FleetEngine {
    const intervalMs = o.intervalS * 1000;
    const fleet = createFleet({
      devices: o.devices,
      timezones: o.timezones,
      intervalMs,
      seed: o.seed,
      prefix: o.prefix,
    });
    return new FleetEngine(fleet, {
      startMs: o.startMs,
      intervalMs,
      heartbeatMs: o.heartbeatS * 1000,
      faults: o.faults,
    });
  }

  get specs(): DeviceSpec[] {
    return this.devices.map((d) => d.spec);
  }

  /** Simulated time of the next reading. */
  nextDueMs(): number {
    return this.o.startMs + this.current().spec.phaseMs + this.cycle * this.o.intervalMs;
  }

  /** Takes the next reading: the device's messages, in the order it sends them. */
  step(): Message[] {
    const simMs = this.nextDueMs();
    const device = this.current();
    const { state, messages } = stepDevice(device.spec, device.state, simMs, device.rngs, this.o);
    device.state = state;
    this.cursor += 1;
    if (this.cursor === this.devices.length) {
      this.cursor = 0;
      this.cycle += 1;
    }
    return messages;
  }

  /** What a device says when it comes online: its status, and a charging station its connector count. */
  greetings(simMs: number, only?: ReadonlySet<string>): Message[] {
    return this.devices
      .filter(({ spec }) => only === undefined || only.has(spec.id))
      .flatMap(({ spec, state }) => {
        const online = statusMessage(spec.id, "online", simMs);
        const m = state.model;
        return m.kind === "ev_charger"
          ? [online, connectorsCountMessage(spec, m.remainingWh.length, m.account)]
          : [online];
      });
  }

  farewells(simMs: number): Message[] {
    return this.devices.map(({ spec }) => statusMessage(spec.id, "offline", simMs));
  }

  private current(): Runtime {
    const device = this.devices[this.cursor];
    if (!device) throw new Error("cursor outside the fleet");
    return device;
  }
}
