// The fleet's make-up: which devices exist, what kind, where (site, time zone, latitude), how big, and when within
// the reading interval each one reports. Everything here follows from the seed and the options.
import { type BatteryModel, createBattery } from "./battery.ts";
import { createEvCharger, type EvChargerModel } from "./ev-charger.ts";
import { createInverter, type InverterModel } from "./inverter.ts";
import { createClassroom, createMeter, type LoadsModel } from "./loads.ts";
import { deriveSeed, mulberry32, type Rng, uniform } from "./rng.ts";

export type Model = InverterModel | BatteryModel | LoadsModel | EvChargerModel;
export type DeviceKind = Model["kind"];

export interface DeviceSpec {
  index: number;
  id: string;
  kind: DeviceKind;
  siteId: string;
  timezone: string;
  latitude: number;
  gridVoltageV: number;
  /** The most the device can draw or deliver: the registry's `max_power_w`, above which a jump is implausible. */
  maxPowerW: number;
  firmware: string;
  /** Offset of this device's readings within the interval, so that a fleet's readings are spread over it. */
  phaseMs: number;
  /** Seed of this device's own random streams. */
  seed: number;
}

export interface FleetDevice {
  spec: DeviceSpec;
  model: Model;
}

export interface FleetOptions {
  devices: number;
  timezones: string[];
  intervalMs: number;
  seed: number;
  prefix: string;
}

/** One random stream per device and purpose, so that e.g. turning faults on does not change the physics. */
export type Purpose = "make" | "boot" | "physics" | "faults" | "radio";
const PURPOSES: Record<Purpose, number> = { make: 1, boot: 2, physics: 3, faults: 4, radio: 5 };

export const deviceRng = (spec: DeviceSpec, purpose: Purpose): Rng =>
  mulberry32(deriveSeed(spec.seed, PURPOSES[purpose]));

export const KIND_CODES: Record<DeviceKind, string> = {
  inverter: "inv",
  battery: "bat",
  meter: "mtr",
  classroom: "esp",
  ev_charger: "evc",
};

// Repeats every 20 devices: 6 inverters, 6 classroom monitors, 4 meters, 3 batteries, 1 EV charger; the first five
// are one of each, so that even a tiny fleet has every kind.
const PATTERN: DeviceKind[] = [
  "inverter",
  "classroom",
  "meter",
  "battery",
  "ev_charger",
  "inverter",
  "classroom",
  "meter",
  "inverter",
  "classroom",
  "battery",
  "inverter",
  "classroom",
  "meter",
  "inverter",
  "classroom",
  "battery",
  "inverter",
  "classroom",
  "meter",
];

const DEVICES_PER_SITE = 20;

/** Where a site in a zone sits: a representative latitude and grid voltage; elsewhere 35° and 230 V. */
const ZONES: Record<string, { latitude: number; gridVoltageV: number }> = {
  "Europe/Berlin": { latitude: 52.5, gridVoltageV: 230 },
  "Europe/London": { latitude: 51.5, gridVoltageV: 230 },
  "Europe/Madrid": { latitude: 40.4, gridVoltageV: 230 },
  "Asia/Kolkata": { latitude: 20, gridVoltageV: 230 },
  "Asia/Tokyo": { latitude: 35.7, gridVoltageV: 100 },
  "America/New_York": { latitude: 40.7, gridVoltageV: 240 },
  "America/Chicago": { latitude: 41.9, gridVoltageV: 240 },
  "America/Los_Angeles": { latitude: 34, gridVoltageV: 240 },
  "America/Sao_Paulo": { latitude: -23.5, gridVoltageV: 220 },
  "Australia/Sydney": { latitude: -33.9, gridVoltageV: 230 },
  "Africa/Nairobi": { latitude: -1.3, gridVoltageV: 240 },
  UTC: { latitude: 51.5, gridVoltageV: 230 },
};

function createModel(kind: DeviceKind, rng: Rng, account: string): Model {
  switch (kind) {
    case "inverter":
      return createInverter(rng);
    case "battery":
      return createBattery(rng);
    case "meter":
      return createMeter(rng);
    case "classroom":
      return createClassroom(rng);
    case "ev_charger":
      return createEvCharger(rng, account);
  }
}

function maxPowerOf(model: Model): number {
  switch (model.kind) {
    case "inverter":
      return model.capacityW;
    case "battery":
      return model.maxPowerW;
    case "meter":
    case "classroom":
      return Math.round(model.baseW * 1.1 + model.loads.reduce((sum, l) => sum + l.powerW * 1.1, 0));
    case "ev_charger":
      return model.connectorPowerW * model.remainingWh.length;
  }
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

export function createFleet(o: FleetOptions): FleetDevice[] {
  const siteCount = Math.max(o.timezones.length, Math.ceil(o.devices / DEVICES_PER_SITE));
  const sites = Array.from({ length: siteCount }, (_, s) => {
    const timezone = o.timezones[s % o.timezones.length] ?? "UTC";
    const where = ZONES[timezone] ?? { latitude: 35, gridVoltageV: 230 };
    const rng = mulberry32(deriveSeed(o.seed, 1, s));
    return {
      id: `${o.prefix}-site-${pad(s + 1, 3)}`,
      account: `${o.prefix}-acc-${pad(s + 1, 3)}`,
      timezone,
      latitude: Math.round((where.latitude + uniform(rng, -2, 2)) * 100) / 100,
      gridVoltageV: where.gridVoltageV,
    };
  });
  const perKind = new Map<DeviceKind, number>();
  return Array.from({ length: o.devices }, (_, index) => {
    const kind = PATTERN[index % PATTERN.length] ?? "meter";
    const n = (perKind.get(kind) ?? 0) + 1;
    perKind.set(kind, n);
    const site = sites[index % siteCount];
    if (!site) throw new Error("no site for device");
    const code = KIND_CODES[kind];
    const spec: DeviceSpec = {
      index,
      id: `${o.prefix}-${code}-${pad(n, 4)}`,
      kind,
      siteId: site.id,
      timezone: site.timezone,
      latitude: site.latitude,
      gridVoltageV: site.gridVoltageV,
      firmware: `${code}-fw 2.${index % 4}.${index % 7}`,
      phaseMs: Math.floor((index * o.intervalMs) / o.devices),
      seed: deriveSeed(o.seed, 0, index),
      maxPowerW: 0,
    };
    const model = createModel(kind, deviceRng(spec, "make"), site.account);
    return { spec: { ...spec, maxPowerW: maxPowerOf(model) }, model };
  });
}
