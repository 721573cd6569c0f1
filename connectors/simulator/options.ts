// `wattline simulate` options: commander hands over strings; this turns them into checked, typed settings.
import { randomInt } from "node:crypto";
import { DateTime, IANAZone } from "luxon";
import { z } from "zod";
import { ConfigError } from "../../ground/config.ts";
import { FAULT_KINDS, type FaultKind } from "./fault-kinds.ts";
import { DEFAULT_FAULT_RATES, type FaultRates } from "./faults.ts";

/** As commander delivers them. */
export interface RawOptions {
  devices: string;
  interval?: string;
  heartbeat?: string;
  faults?: boolean;
  faultRates?: string;
  seed?: string;
  start?: string;
  duration?: string;
  simDuration?: string;
  speed?: string;
  siteTimezones?: string;
  connections?: string;
  prefix?: string;
  manifest?: string;
  dryRun?: boolean;
}

export interface SimulateOptions {
  devices: number;
  intervalS: number;
  heartbeatS: number;
  /** `null`: no faults. */
  faults: FaultRates | null;
  seed: number;
  startMs: number;
  /** Wall-clock seconds to run; undefined: until a signal. */
  durationS: number | undefined;
  /** Simulated seconds to run; undefined: no limit. */
  simDurationS: number | undefined;
  /** Simulated seconds per wall second, or as fast as the output takes them. */
  speed: number | "max";
  timezones: string[];
  connections: number;
  prefix: string;
  manifest: string | undefined;
  stdout: boolean;
}

export const DEFAULT_TIMEZONES = ["Europe/Berlin", "Asia/Kolkata"];

const positive = z.coerce.number().positive().finite();

const schema = z.object({
  devices: z.coerce.number().int().min(1).max(1_000_000),
  interval: positive.default(60),
  heartbeat: positive.default(300),
  seed: z.coerce.number().int().min(0).max(0xffffffff).optional(),
  duration: positive.optional(),
  simDuration: positive.optional(),
  speed: z.union([z.literal("max"), positive], { error: "a positive number or max" }).default(1),
  connections: z.coerce.number().int().min(1).default(1),
  // Ends up in device ids and so in topics: no MQTT wildcards or level separators.
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.', '-' only")
    .default("sim"),
});

function parseStart(text: string | undefined, now: number): number {
  if (text === undefined) return Math.floor(now / 1000) * 1000;
  const dt = DateTime.fromISO(text, { setZone: true });
  if (!dt.isValid || !/(Z|[+-]\d\d:?\d\d)$/i.test(text)) {
    throw new ConfigError(`--start: an ISO-8601 time with Z or an offset, not ${JSON.stringify(text)}`);
  }
  return dt.toMillis();
}

function parseTimezones(text: string | undefined): string[] {
  if (text === undefined) return DEFAULT_TIMEZONES;
  const zones = text
    .split(",")
    .map((z) => z.trim())
    .filter((z) => z !== "");
  const unknown = zones.filter((z) => !IANAZone.isValidZone(z));
  if (zones.length === 0 || unknown.length > 0) {
    throw new ConfigError(`--site-timezones: unknown time zone(s) ${unknown.join(", ") || "(none given)"}`);
  }
  return zones;
}

/** `reset=0.01,gap=0` over the defaults; a kind not named keeps its default. */
export function parseFaultRates(text: string): FaultRates {
  const rates = { ...DEFAULT_FAULT_RATES };
  for (const part of text.split(",").filter((p) => p.trim() !== "")) {
    const [name = "", value = ""] = part.split("=").map((s) => s.trim());
    const rate = Number(value);
    if (!(FAULT_KINDS as readonly string[]).includes(name)) {
      throw new ConfigError(
        `--fault-rates: unknown fault ${JSON.stringify(name)} (known: ${FAULT_KINDS.join(", ")})`,
      );
    }
    if (value === "" || !Number.isFinite(rate) || rate < 0 || rate > 1) {
      throw new ConfigError(
        `--fault-rates: ${name} needs a probability per reading in [0, 1], not ${JSON.stringify(value)}`,
      );
    }
    rates[name as FaultKind] = rate;
  }
  const total = FAULT_KINDS.reduce((sum, k) => sum + rates[k], 0);
  if (total > 1) throw new ConfigError(`--fault-rates: the rates add up to ${total}, more than 1`);
  return rates;
}

export function parseOptions(raw: RawOptions, now: number = Date.now()): SimulateOptions {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `--${String(i.path[0] ?? "")}: ${i.message}`);
    throw new ConfigError(problems.join("; "));
  }
  const p = parsed.data;
  return {
    devices: p.devices,
    intervalS: p.interval,
    heartbeatS: p.heartbeat,
    // Rates given imply faults: asking for them and getting a clean run would surprise.
    faults:
      raw.faultRates !== undefined
        ? parseFaultRates(raw.faultRates)
        : raw.faults
          ? DEFAULT_FAULT_RATES
          : null,
    seed: p.seed ?? randomInt(0, 2 ** 32 - 1),
    startMs: parseStart(raw.start, now),
    durationS: p.duration,
    simDurationS: p.simDuration,
    speed: p.speed,
    timezones: parseTimezones(raw.siteTimezones),
    connections: p.connections,
    prefix: p.prefix,
    manifest: raw.manifest,
    stdout: raw.dryRun === true,
  };
}
