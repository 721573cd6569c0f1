// One hand-made device on topics of its own for the ledger's integration tests: its settings (devices.json), the
// readings and meter replacements produced as Avro straight to its telemetry topic, and the same inputs as NDJSON
// for `wattline compute`.
import { execFile } from "node:child_process";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type pg from "pg";
import { createKafka } from "../../ground/kafka.ts";
import { createTopicsReady, topicNames } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { config, type Fixture, registerFixture, unregisterFixture } from "./ledger.ts";
import { unique } from "./stack.ts";

const run = promisify(execFile);
const store = schemaStore();
const MIN = 60_000;

/** A processor that folds a reading as soon as a newer one arrives, writes a silent device's suspect after 1 s and
 * recalculates a late input a second after it came, from a snapshot when one is older (one per 15 min of event time). */
export const FAST: NodeJS.ProcessEnv = {
  WATTLINE_SILENT_FLUSH_MS: "1000",
  WATTLINE_RECALC_MIN_INTERVAL_MS: "1000",
  WATTLINE_RECALC_SNAPSHOT_MS: "900000",
  WATTLINE_ALLOWED_LATENESS_MS: "0",
};

export interface DeviceSpec {
  device_id: string;
  site_id: string;
  kind: string;
  timezone: string;
  max_power_w: number | null;
  noise_wh: number;
  counter_persists_across_boot: boolean;
  expected_interval_s: number;
}

export type DeviceFixture = Fixture & { device: DeviceSpec };

/** [minutes from the trace's day 00:00Z, counter Wh] */
export type Point = [number, number];

/** A meter replacement at a minute of the trace's day. */
export interface Swap {
  swap: number;
  final: number | null;
  start: number;
}

export type Input = Point | Swap;

/** Devices of one fixture (one topic prefix, one processor), `-0`, `-1`… after its name; `device` is the first. */
function deviceFixture(label: string, settings: Partial<DeviceSpec>[]): DeviceFixture {
  const name = unique(label).replaceAll("_", "-");
  const dir = mkdtempSync(join(tmpdir(), `wattline-${label}-`));
  const devices: DeviceSpec[] = settings.map((s, i) => ({
    device_id: `${name}-dev${settings.length > 1 ? `-${i}` : ""}`,
    site_id: `${name}-site`,
    kind: "meter",
    timezone: "UTC",
    max_power_w: null,
    noise_wh: 1,
    counter_persists_across_boot: false,
    expected_interval_s: 900,
    ...s,
  }));
  const fx = {
    dir,
    prefix: `${name}.`,
    capture: "",
    readings: join(dir, "readings.ndjson"),
    devicesFile: join(dir, "devices.json"),
    devices,
    device: devices[0] as DeviceSpec,
  };
  writeFileSync(fx.devicesFile, JSON.stringify(devices));
  writeFileSync(fx.readings, "");
  return fx;
}

/** Registers the device, creates its telemetry topic, runs `body`, then removes registry rows, topics and group. */
export function withDevice(
  pool: pg.Pool,
  label: string,
  settings: Partial<DeviceSpec>,
  body: (fx: DeviceFixture) => Promise<void>,
): Promise<void> {
  return withDevices(pool, label, [settings], body);
}

/** `withDevice` for several devices on the same topics. */
export async function withDevices(
  pool: pg.Pool,
  label: string,
  settings: Partial<DeviceSpec>[],
  body: (fx: DeviceFixture) => Promise<void>,
): Promise<void> {
  const fx = deviceFixture(label, settings);
  await registerFixture(pool, fx);
  const admin = createKafka(config, `test-${label}`).admin();
  await admin.connect();
  try {
    await createTopicsReady(admin, [
      { topic: topicNames(fx.prefix).telemetry, numPartitions: config.kafka.partitions },
    ]);
    await body(fx);
  } finally {
    await unregisterFixture(pool, fx);
    await admin.deleteGroups([`${fx.prefix}ledger`]).catch(() => {});
    await admin.disconnect();
  }
}

const isSwap = (i: Input): i is Swap => !Array.isArray(i);

function encode(device: string, input: Input, day: number): { ts: number; value: Buffer; line: string } {
  if (isSwap(input)) {
    const ts = day + Math.round(input.swap * MIN);
    const fields = {
      device_id: device,
      ts,
      old_final_wh_total: input.final,
      new_initial_wh_total: input.start,
    };
    return {
      ts,
      value: store.encode("MeterReplacement", { ...fields, source: "test", received_at: ts + 1000 }),
      line: JSON.stringify({ kind: "meter_replacement", ...fields, ts: new Date(ts).toISOString() }),
    };
  }
  const [minute, energy] = input;
  const ts = day + Math.round(minute * MIN);
  const value = store.encode("TelemetryReading", {
    device_id: device,
    ts,
    ts_source: "device",
    energy_wh_total: energy,
    power_w: null,
    boot_id: null,
    seq: null,
    switch_state: null,
    voltage_v: null,
    current_a: null,
    source: "test",
    received_at: ts + 1000,
  });
  const line = JSON.stringify({ device_id: device, ts: new Date(ts).toISOString(), energy_wh_total: energy });
  return { ts, value, line };
}

/**
 * Produces readings and replacements to the fixture's telemetry topic, in the order given (received a second after
 * their ts), and appends them to its input file for `wattline compute`. Minutes count from `day` 00:00Z.
 */
export async function send(
  fx: DeviceFixture,
  inputs: Input[],
  day: number,
  device = fx.device.device_id,
): Promise<void> {
  const producer = createKafka(config, "test-ledger-device").producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const encoded = inputs.map((i) => encode(device, i, day));
    await producer.send({
      topic: topicNames(fx.prefix).telemetry,
      acks: -1,
      messages: encoded.map(({ value }) => ({ key: device, value })),
    });
    appendFileSync(fx.readings, `${encoded.map((e) => e.line).join("\n")}\n`);
  } finally {
    await producer.disconnect();
  }
}

/** Hourly and daily rows as comparable lines, replacements included. */
export interface ReplacementRows {
  hourly: string[];
  daily: string[];
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** `wattline compute` on the fixture's inputs. */
export async function computeWithReplacements(fx: DeviceFixture): Promise<ReplacementRows> {
  const { stdout } = await run("node", [
    "bin/wattline.js",
    "compute",
    "--input",
    fx.readings,
    "--devices",
    fx.devicesFile,
  ]);
  const rows = stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, string | number>);
  const line = (r: Record<string, string | number>, at: string | number, ...counts: string[]) =>
    [r.device_id, at, round(Number(r.energy_wh)), ...counts.map((c) => r[c])].join(" ");
  return {
    hourly: rows
      .filter((r) => r.kind === "hourly")
      .map((r) => line(r, r.hour_start ?? "", "readings", "replacements"))
      .sort(),
    daily: rows
      .filter((r) => r.kind === "daily")
      .map((r) => line(r, r.date ?? "", "resets", "replacements"))
      .sort(),
  };
}

/** The fixture's stored rows that carry something (not retracted). */
export async function storedWithReplacements(questdb: pg.Pool, fx: DeviceFixture): Promise<ReplacementRows> {
  const ids = fx.devices.map((d) => d.device_id);
  const list = ids.map((_, i) => `$${i + 1}`).join(",");
  const hourly = await questdb.query<{ id: string; h: Date; e: number; n: number; r: number }>(
    `SELECT device_id id, hour_start h, energy_wh e, readings n, replacements r FROM energy_hourly
     WHERE device_id IN (${list}) AND confidence IS NOT NULL`,
    ids,
  );
  const daily = await questdb.query<{ id: string; d: Date; e: number; n: number; r: number }>(
    `SELECT device_id id, day d, energy_wh e, resets n, replacements r FROM energy_daily
     WHERE device_id IN (${list}) AND (hours > 0 OR resets > 0 OR replacements > 0)`,
    ids,
  );
  return {
    hourly: hourly.rows.map((r) => [r.id, r.h.toISOString(), round(r.e), r.n, r.r].join(" ")).sort(),
    daily: daily.rows
      .map((r) => [r.id, r.d.toISOString().slice(0, 10), round(r.e), r.n, r.r].join(" "))
      .sort(),
  };
}

/** Polls until the stored rows equal `expected` or the timeout; returns the last rows seen. */
export async function waitForReplacementRows(
  questdb: pg.Pool,
  fx: DeviceFixture,
  expected: ReplacementRows,
  timeoutMs: number,
): Promise<ReplacementRows> {
  const deadline = Date.now() + timeoutMs;
  let seen: ReplacementRows = { hourly: [], daily: [] };
  while (Date.now() < deadline) {
    seen = await storedWithReplacements(questdb, fx).catch(() => seen);
    if (JSON.stringify(seen) === JSON.stringify(expected)) return seen;
    await sleep(500);
  }
  return seen;
}

/** How many readings of the device QuestDB's readings table holds: what the processor has taken in. */
export async function readingsStored(questdb: pg.Pool, device: string): Promise<number> {
  const { rows } = await questdb.query<{ n: string }>("SELECT count() n FROM readings WHERE device_id = $1", [
    device,
  ]);
  return Number(rows[0]?.n ?? 0);
}
