// Shared by the ledger's integration tests: a faulted fleet fixture, its registration, the processor as a child
// process on its own topics, and the rows QuestDB holds for it.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type pg from "pg";
import { createKafka } from "../../ground/kafka.ts";
import { readTopic } from "../../pipelines/runtime/read-topic.ts";
import { config, unique } from "./stack.ts";

const run = promisify(execFile);

export interface Fixture {
  dir: string;
  prefix: string;
  capture: string;
  readings: string;
  devicesFile: string;
  devices: { device_id: string; timezone: string; site_id: string; kind: string }[];
}

/** A simulated fleet with every fault kind over Berlin's 2025 spring DST change, as MQTT captures and readings. */
export async function makeFixture(devices: number, simSeconds: number): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "wattline-ledger-"));
  const prefix = unique("lx").replaceAll("_", "-");
  const capture = join(dir, "capture.ndjson");
  const devicesFile = join(dir, "devices.json");
  const rates =
    "reset=0.003,glitch=0.005,dip=0.005,gap=0.001,duplicate=0.005,out_of_order=0.005,reboot=0.002";
  const args = [
    "bin/wattline.js",
    "simulate",
    "--devices",
    String(devices),
    "--seed",
    "7",
    "--start",
    "2025-03-29T12:00:00Z",
  ];
  args.push("--sim-duration", String(simSeconds), "--speed", "max", "--fault-rates", rates, "--stdout");
  args.push("--manifest", devicesFile, "--prefix", prefix);
  const { stdout } = await run("node", args, { maxBuffer: 512 * 1024 * 1024 });
  writeFileSync(capture, stdout);
  const readings = join(dir, "readings.ndjson");
  const lines = stdout
    .split("\n")
    .filter((l) => l.includes("/telemetry"))
    .map((l) => {
      const { topic, payload } = JSON.parse(l) as { topic: string; payload: Record<string, unknown> };
      return JSON.stringify({ device_id: topic.split("/")[1], ...payload });
    });
  writeFileSync(readings, `${lines.join("\n")}\n`);
  const manifest = JSON.parse(readFileSync(devicesFile, "utf8")) as Fixture["devices"];
  return { dir, prefix: `${prefix}.`, capture, readings, devicesFile, devices: manifest };
}

/** Registers the fixture's sites and devices (with their settings) in Postgres. */
export async function registerFixture(pool: pg.Pool, fx: Fixture): Promise<void> {
  const manifest = JSON.parse(readFileSync(fx.devicesFile, "utf8")) as (Fixture["devices"][number] & {
    max_power_w: number | null;
    noise_wh: number;
    counter_persists_across_boot: boolean;
    expected_interval_s: number;
  })[];
  for (const d of manifest) {
    await pool.query("INSERT INTO sites (id, name, timezone) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
      d.site_id,
      d.site_id,
      d.timezone,
    ]);
    await pool.query(
      `INSERT INTO devices (device_id, site_id, kind, timezone, max_power_w, noise_wh, counter_persists_across_boot, expected_interval_s)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (device_id) DO NOTHING`,
      [
        d.device_id,
        d.site_id,
        ["inverter", "battery", "meter", "ev_charger", "classroom"].includes(d.kind) ? d.kind : "other",
        d.timezone,
        d.max_power_w,
        d.noise_wh,
        d.counter_persists_across_boot,
        d.expected_interval_s,
      ],
    );
  }
}

/** Removes the fixture's registry rows and its topics. */
export async function unregisterFixture(pool: pg.Pool, fx: Fixture): Promise<void> {
  const admin = createKafka(config).admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(fx.prefix));
  await admin.deleteTopics({ topics: mine }).catch(() => {});
  await admin.disconnect();
  const sites = [...new Set(fx.devices.map((d) => d.site_id))];
  await pool.query("DELETE FROM devices WHERE device_id = ANY($1)", [fx.devices.map((d) => d.device_id)]);
  await pool.query("DELETE FROM sites WHERE id = ANY($1)", [sites]);
}

export function fixtureEnv(fx: Fixture): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WATTLINE_TOPIC_PREFIX: fx.prefix,
    WATTLINE_LEDGER_GROUP: `${fx.prefix}ledger`,
    WATTLINE_SILENT_FLUSH_MS: "4000",
    WATTLINE_RECALC_MIN_INTERVAL_MS: "1000",
    // Snapshots every half hour of event time: recalculations start from one when the late input is not older.
    WATTLINE_RECALC_SNAPSHOT_MS: "1800000",
    WATTLINE_METRICS_PORT: "0",
    WATTLINE_LOG_LEVEL: "warn",
  };
}

/** Publishes the fixture's captures to its own topics, through the file connector. */
export async function publishFixture(fx: Fixture): Promise<void> {
  await run("node", ["bin/wattline.js", "connect", "file", fx.capture], { env: fixtureEnv(fx) });
}

export function startProcessor(fx: Fixture, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn("node", ["bin/wattline.js", "process", "ledger"], {
    env: { ...fixtureEnv(fx), ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

export async function stopProcessor(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
}

export interface EnergyRows {
  hourly: string[];
  daily: string[];
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** `wattline compute` on the fixture, as comparable lines. */
export async function computeRows(fx: Fixture): Promise<EnergyRows> {
  const { stdout } = await run(
    "node",
    ["bin/wattline.js", "compute", "--input", fx.readings, "--devices", fx.devicesFile],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const rows = stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, string | number>);
  return {
    hourly: rows
      .filter((r) => r.kind === "hourly")
      .map((r) => `${r.device_id} ${r.hour_start} ${round(Number(r.energy_wh))} ${r.readings}`)
      .sort(),
    daily: rows
      .filter((r) => r.kind === "daily")
      .map((r) => `${r.device_id} ${r.date} ${round(Number(r.energy_wh))} ${r.resets}`)
      .sort(),
  };
}

/** The fixture's rows in QuestDB that carry something (not retracted), as comparable lines. */
export async function storedRows(questdb: pg.Pool, fx: Fixture): Promise<EnergyRows> {
  const ids = fx.devices.map((d) => d.device_id);
  const hourly = await questdb.query<{
    device_id: string;
    hour_start: Date;
    energy_wh: number;
    readings: number;
  }>(
    "SELECT device_id, hour_start, energy_wh, readings FROM energy_hourly WHERE confidence IS NOT NULL AND device_id IN ($1)".replace(
      "($1)",
      `(${ids.map((_, i) => `$${i + 1}`).join(",")})`,
    ),
    ids,
  );
  const daily = await questdb.query<{ device_id: string; day: Date; energy_wh: number; resets: number }>(
    "SELECT device_id, day, energy_wh, resets FROM energy_daily WHERE (hours > 0 OR resets > 0) AND device_id IN ($1)".replace(
      "($1)",
      `(${ids.map((_, i) => `$${i + 1}`).join(",")})`,
    ),
    ids,
  );
  return {
    hourly: hourly.rows
      .map((r) => `${r.device_id} ${r.hour_start.toISOString()} ${round(r.energy_wh)} ${r.readings}`)
      .sort(),
    daily: daily.rows
      .map((r) => `${r.device_id} ${r.day.toISOString().slice(0, 10)} ${round(r.energy_wh)} ${r.resets}`)
      .sort(),
  };
}

/** Polls QuestDB until its rows equal `expected` or the timeout; returns the last rows seen. */
export async function waitForRows(
  questdb: pg.Pool,
  fx: Fixture,
  expected: EnergyRows,
  timeoutMs: number,
): Promise<EnergyRows> {
  const deadline = Date.now() + timeoutMs;
  let seen: EnergyRows = { hourly: [], daily: [] };
  while (Date.now() < deadline) {
    seen = await storedRows(questdb, fx).catch(() => seen);
    if (JSON.stringify(seen) === JSON.stringify(expected)) return seen;
    await sleep(1000);
  }
  return seen;
}

export { config };

/** Waits until the fixture's late-readings topic holds `count` records (or the timeout); returns how many it holds. */
export async function waitForLateReadings(fx: Fixture, count: number, timeoutMs: number): Promise<number> {
  const kafka = createKafka(config);
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    // Counted by reading: offsets would count the commit markers of the processor's transactions too.
    seen = 0;
    await readTopic(kafka, `${fx.prefix}telemetry.late.v1`, {
      onBatch: (_partition, messages) => {
        seen += messages.length;
      },
    }).catch(() => {});
    if (seen >= count) return seen;
    await sleep(250);
  }
  return seen;
}
