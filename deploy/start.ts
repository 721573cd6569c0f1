// `wattline start` (npm start): the whole system on the local stack. The stack and the schema first, then every
// component as a supervised child process (log lines prefixed with its name), a simulated fleet included. A component
// that exits is started again; one that keeps failing stops the whole system with its name and last log lines, and a
// port in use stops the start with one line naming the variable to change. Ctrl-C or SIGTERM stops the children
// cleanly, and they stop by themselves if this process is killed; the stack keeps running (`wattline stack down`).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Config, loadConfig } from "../ground/config.ts";
import { postgresPool } from "../ground/postgres.ts";
import { buildWeb, formatSizes } from "../web/build.ts";
import { addressInUse, componentPorts, portsInUse } from "./component-ports.ts";
import { COMPONENT_NODE_FLAGS } from "./node-flags.ts";
import { registerFleet } from "./register-fleet.ts";
import { up } from "./stack/commands.ts";
import { type ComponentSpec, runSupervised, Supervisor } from "./supervisor.ts";

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

/** Each component runs `wattline <args>` with a metrics port of its own. */
function specs(config: Config, manifest: string): ComponentSpec[] {
  const bin = join(import.meta.dirname, "..", "bin", "wattline.js");
  return Object.entries(components(manifest)).map(([name, args], i) => ({
    name,
    command: process.execPath,
    args: [...COMPONENT_NODE_FLAGS, bin, ...args],
    env: {
      ...process.env,
      WATTLINE_METRICS_PORT: String(config.metrics.port === 0 ? 0 : config.metrics.port + i),
    },
  }));
}

const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

export async function start(): Promise<void> {
  // Ports and paths are known before the stack is up; its credentials only after: the first `stack up` makes them.
  const early = loadConfig();
  const manifest = join(early.stateDir, "simulated-fleet.json");
  const all = specs(early, manifest);
  const ports = componentPorts(early, all.length);
  const taken = await portsInUse(ports);
  if (taken.length > 0) {
    for (const line of taken) say(line);
    process.exitCode = 1;
    return;
  }
  await up();
  if (process.exitCode) return;
  const config = loadConfig();
  await (await import("../schemas/postgres/migrate.ts")).migrate(config);
  // The API serves the web app at /app from what this writes; without it the rest still runs.
  await buildWeb().then(
    (assets) => process.stdout.write(`[start] ${formatSizes(assets)}`),
    (err: Error) => say(`the web app is not built (${err.message}): /app answers 503`),
  );
  const supervisor = new Supervisor(all, { fatal: addressInUse(ports) });
  void announce(config, manifest);
  await runSupervised(supervisor);
}

/** Until /health answers 200, that is until every component is ready; every 30 s it says what is still down. */
async function ready(config: Config): Promise<void> {
  const url = `http://127.0.0.1:${config.api.port}/health`;
  for (let i = 1; ; i++) {
    const answer = await fetch(url).then(
      async (res) => (res.ok ? undefined : await res.text()),
      () => "the API does not answer yet",
    );
    if (answer === undefined) return;
    if (i % 60 === 0) say(`waiting for every component to be ready: ${answer}`);
    await sleep(500);
  }
}

/** Registers the simulated fleet once its manifest is written, then says where everything is once it is ready. */
async function announce(config: Config, manifest: string): Promise<void> {
  // The simulator writes its fleet's settings as it starts; the ledger picks them up as they are registered.
  for (let i = 0; i < 600 && !existsSync(manifest); i++) await sleep(100);
  const pool = postgresPool(config, 1);
  const registered = await registerFleet(pool, manifest)
    .catch((err: Error) => {
      say(`the simulated fleet is not registered (${err.message}): default settings apply`);
      return { devices: 0, systems: 0 };
    })
    .finally(() => pool.end());
  await ready(config);
  process.stdout.write(
    `\nWattline is running: API http://localhost:${config.api.port} (GET /health), the web app at ` +
      `http://localhost:${config.api.port}/app, ${registered.devices} simulated devices in ${registered.systems} ` +
      `systems over MQTT, metrics from port ${config.metrics.port}. Ctrl-C stops it; \`npx wattline stack down\` stops the stack.\n\n`,
  );
}
