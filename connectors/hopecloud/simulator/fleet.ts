// The simulated cloud's plants, inverters and communication modules, drawn from a seed: the same seed and specs
// give the same ids, names and numbers, so tests and demos can be rerun. Module snapshots stay as drawn until
// changed through the simulator's controls.
import { deriveSeed, integer, mulberry32, pick, type Rng, uniform } from "../../simulator/rng.ts";
import type { DivertorJson } from "../api/shapes.ts";
import { msToLocalTime } from "../records/local-time.ts";

export interface PlantSpec {
  /** HopeCloud plant id; drawn from the seed when omitted. */
  id?: string;
  name?: string;
  /** IANA zone of the plant's local times (default: one of Asia/Tashkent, Europe/Berlin, Asia/Kolkata). */
  timeZone?: string;
  /** Communication modules of the plant (default 1, as in seed 000). */
  modules?: number;
  /** Inverters of the plant (default 2). */
  inverters?: number;
}

export interface SimInverter {
  id: string;
  sn: string;
  name: string;
  model: string;
  ratedKw: number;
  /** What the inverter delivers at noon, kW. */
  peakKw: number;
  /** Counter at commissioning, kWh. */
  baseKwh: number;
  commissionedMs: number;
  firmware: string;
}

export interface SimPlant {
  id: string;
  name: string;
  timeZone: string;
  userId: string;
  userName: string;
  latitude: number;
  longitude: number;
  inverters: SimInverter[];
  modules: DivertorJson[];
}

const ZONES = ["Asia/Tashkent", "Europe/Berlin", "Asia/Kolkata"];
const NAMES = ["Kontinent kachestvo", "Sag'bon Fayz", "Farxod aka PALMA", "Oqtepa", "Bodomzor", "Yunusobod"];
const OPERATORS = ["Beeline", "Ucell", "Uzmobile"];
const MODELS = ["HW5K-TL", "HW8K-TL", "HW12K-TL"];
const EPOCH_2023 = Date.UTC(2023, 0, 1);
const DAY_MS = 86_400_000;

/** A 19-digit id like HopeCloud's (a string: it exceeds a double's precision). */
function numericId(rng: Rng): string {
  let out = String(integer(rng, 1, 9));
  for (let i = 0; i < 18; i++) out += String(integer(rng, 0, 9));
  return out;
}

const digits = (rng: Rng, n: number) => Array.from({ length: n }, () => integer(rng, 0, 9)).join("");

/** 1 online mostly, sometimes 0 offline or 2 fault, rarely a code HopeCloud has not documented. */
function moduleStatus(rng: Rng): number {
  const x = rng.next();
  return x < 0.8 ? 1 : x < 0.9 ? 0 : x < 0.97 ? 2 : 3;
}

export function buildFleet(seed: number, specs: readonly PlantSpec[]): SimPlant[] {
  return specs.map((spec, p) => {
    const rng = mulberry32(deriveSeed(seed, p));
    const id = spec.id ?? numericId(rng);
    const timeZone = spec.timeZone ?? ZONES[p % ZONES.length] ?? "UTC";
    const name = spec.name ?? `${pick(rng, NAMES)} ${p + 1}`;
    const userId = numericId(rng);
    const userName = `user${digits(rng, 4)}`;
    const latitude = Math.round(uniform(rng, 37, 45) * 1e6) / 1e6;
    const longitude = Math.round(uniform(rng, 56, 73) * 1e6) / 1e6;
    const inverters = Array.from({ length: spec.inverters ?? 2 }, (_, i) => {
      const r = mulberry32(deriveSeed(seed, p, 1, i));
      const ratedKw = pick(r, [5, 8, 12]);
      return {
        id: numericId(r),
        sn: `HW${digits(r, 14)}`,
        name: `Inverter ${i + 1}`,
        model: MODELS[[5, 8, 12].indexOf(ratedKw)] ?? "HW5K-TL",
        ratedKw,
        peakKw: Math.round(ratedKw * uniform(r, 0.6, 0.9) * 1000) / 1000,
        baseKwh: Math.round(uniform(r, 0, 500) * 100) / 100,
        commissionedMs: EPOCH_2023 + integer(r, 0, 540) * DAY_MS + integer(r, 8 * 3600, 17 * 3600) * 1000,
        firmware: `V${integer(r, 1, 3)}.${integer(r, 0, 9)}.${integer(r, 0, 20)}`,
      };
    });
    const modules = Array.from({ length: spec.modules ?? 1 }, (_, m): DivertorJson => {
      const r = mulberry32(deriveSeed(seed, p, 2, m));
      const pn = `30081304A06G${digits(r, 3)}H${digits(r, 5)}`;
      const cellular = r.next() < 0.5;
      const placed = r.next() < 0.5;
      const startMs = EPOCH_2023 + integer(r, 0, 540) * DAY_MS + integer(r, 0, 86_399) * 1000;
      return {
        id: numericId(r),
        equipmentPn: pn,
        divertorName: pn,
        powerPlantId: id,
        powerPlantName: name,
        userId,
        userName,
        deviceType: "707",
        iccid: cellular ? `8999${digits(r, 16)}` : null,
        operatorType: cellular ? pick(r, OPERATORS) : "",
        startTime: msToLocalTime(startMs, timeZone),
        stopTime: null,
        loadedNumber: inverters.length,
        rssi: integer(r, 10, 40),
        // HopeCloud sends coordinates as strings, when it sends them at all.
        longitude: placed ? longitude.toFixed(6) : null,
        latitude: placed ? latitude.toFixed(6) : null,
        status: moduleStatus(r),
        updateTime: msToLocalTime(Date.UTC(2025, 5, 1) + integer(r, 0, 30 * 86_400) * 1000, timeZone),
      };
    });
    return { id, name, timeZone, userId, userName, latitude, longitude, inverters, modules };
  });
}
