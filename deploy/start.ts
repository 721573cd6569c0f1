// `wattline start` (npm start): the whole system on the local stack. The stack and the schema first, then every
// component as a child process of this one (its log lines prefixed with its name), a simulated fleet included.
// Ctrl-C (or SIGTERM) stops the children cleanly; the stack keeps running (`wattline stack down` stops it).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../ground/config.ts";
import { postgresPool } from "../ground/postgres.ts";
import { buildWeb, formatSizes } from "../web/build.ts";
import { registerFleet } from "./register-fleet.ts";
import { up } from "./stack/commands.ts";

const FLEET = { devices: "50", interval: "10" };

function components(manifest: string): Record<string, string[]> {
  return {
    api: ["api"],
    "mqtt-connector": ["connect", "mqtt"],
    ledger: ["process", "ledger"],
    status: ["process", "status"],
    charging: ["process", "charging"],
    "hopecloud-cloud": ["hopecloud", "simulate"],
    "hopecloud-connector": ["connect", "hopecloud"],
    "hopecloud-sync": ["hopecloud", "process"],
    simulator: [
      "simulate",
      "--devices",
      FLEET.devices,
      "--interval",
      FLEET.interval,
      "--faults",
      "--manifest",
      manifest,
    ],
  };
}

function launch(name: string, args: string[], metricsPort: number): ChildProcess {
  const child = spawn(process.execPath, [join(import.meta.dirname, "..", "bin", "wattline.js"), ...args], {
    env: { ...process.env, WATTLINE_METRICS_PORT: String(metricsPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream)
      createInterface({ input: stream }).on("line", (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  child.on("exit", (code, signal) => process.stdout.write(`[${name}] exited (${signal ?? code})\n`));
  return child;
}

export async function start(): Promise<void> {
  await up();
  if (process.exitCode) return;
  const config = loadConfig();
  await (await import("../schemas/postgres/migrate.ts")).migrate(config);
  // The API serves the web app at /app from what this writes.
  process.stdout.write(`[start] ${formatSizes(await buildWeb())}`);
  const manifest = join(config.stateDir, "simulated-fleet.json");
  const children = new Map<string, ChildProcess>();
  let port = config.metrics.port;
  for (const [name, args] of Object.entries(components(manifest))) {
    children.set(name, launch(name, args, port === 0 ? 0 : port++));
  }
  // The simulator writes its fleet's settings as it starts; the ledger picks them up as they are registered.
  for (let i = 0; i < 600 && !existsSync(manifest); i++) await sleep(100);
  const pool = postgresPool(config, 1);
  const registered = await registerFleet(pool, manifest)
    .catch((err: Error) => {
      process.stdout.write(
        `[start] the simulated fleet is not registered (${err.message}): default settings apply\n`,
      );
      return { devices: 0, systems: 0 };
    })
    .finally(() => pool.end());
  process.stdout.write(
    `\nWattline is running: API http://localhost:${config.api.port} (GET /health), the web app at ` +
      `http://localhost:${config.api.port}/app, ${registered.devices} simulated devices in ${registered.systems} systems ` +
      `over MQTT, metrics from port ${config.metrics.port}. Ctrl-C stops it; \`npx wattline stack down\` stops the stack.\n\n`,
  );
  const stop = async () => {
    for (const child of children.values()) child.kill("SIGTERM");
    await Promise.all(
      [...children.values()].map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)),
    );
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}
