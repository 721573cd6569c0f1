// A whole local stack of a test's own: a state folder and ports of its own, started with `wattline stack up` and
// stopped with `stack down`, by the test or, however the test ends (SIGKILL included), by a watchdog shell that sees
// the test's process gone. The environment leaves out whatever points at the shared stack.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePortBlock } from "./ports.ts";

const run = promisify(execFile);
export const wattlineBin = join(import.meta.dirname, "..", "..", "bin", "wattline.js");

export interface OwnStack {
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** `wattline <args>` in this stack's environment; its stdout. */
  wattline(args: string[], timeoutMs?: number): Promise<string>;
  up(): Promise<void>;
  /** Stops the stack and removes its folder. */
  down(): Promise<void>;
}

// Kafka's nodes take WATTLINE_KAFKA_PORT + 2(n - 1) and the controller port beside each: six ports for three nodes.
const PORTS = [
  "WATTLINE_QUESTDB_HTTP_PORT",
  "WATTLINE_QUESTDB_PG_PORT",
  "WATTLINE_QUESTDB_MIN_HTTP_PORT",
  "WATTLINE_POSTGRES_PORT",
  "WATTLINE_MQTT_PORT",
  "WATTLINE_API_PORT",
  "WATTLINE_HOPECLOUD_SIMULATOR_PORT",
];

const WATCHDOG = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
node "$0" stack down >/dev/null 2>&1; rm -rf "$1"`;

/** `extra` may point services at the shared stack (their URLs), which this one then leaves alone. */
export async function ownStack(name: string, extra: Record<string, string> = {}): Promise<OwnStack> {
  const stateDir = mkdtempSync(join(tmpdir(), `wattline-${name}-`));
  const base = await freePortBlock(6 + PORTS.length);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WATTLINE_STATE_DIR: stateDir,
    WATTLINE_METRICS_PORT: "0",
    WATTLINE_KAFKA_PORT: String(base),
    WATTLINE_KAFKA_CONTROLLER_PORT: String(base + 1),
    ...Object.fromEntries(PORTS.map((variable, i) => [variable, String(base + 6 + i)])),
  };
  for (const variable of [
    "WATTLINE_KAFKA_BROKERS",
    "WATTLINE_QUESTDB_HTTP_URL",
    "WATTLINE_QUESTDB_PG_URL",
    "WATTLINE_POSTGRES_URL",
    "WATTLINE_MQTT_URL",
    "WATTLINE_TOPIC_PREFIX",
  ])
    delete env[variable];
  Object.assign(env, extra);
  const watchdog = spawn("sh", ["-c", WATCHDOG, wattlineBin, stateDir], {
    env,
    detached: true,
    stdio: "ignore",
  });
  watchdog.unref();
  const wattline = async (args: string[], timeoutMs = 300_000) =>
    (await run(process.execPath, [wattlineBin, ...args], { env, timeout: timeoutMs, maxBuffer: 64 << 20 }))
      .stdout;
  return {
    stateDir,
    env,
    wattline,
    async up() {
      await wattline(["stack", "up"]);
    },
    async down() {
      await wattline(["stack", "down"], 120_000).catch(() => "");
      rmSync(stateDir, { recursive: true, force: true });
      if (watchdog.pid !== undefined) process.kill(-watchdog.pid, "SIGKILL");
    },
  };
}
