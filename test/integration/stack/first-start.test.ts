// README's first command on a machine that has never run Wattline: `wattline start` with a state folder of its own
// (so the stack is installed, formatted and given new credentials) and ports of its own. It must come up with the
// simulated fleet registered as systems, answer with live figures, and leave no component running when stopped.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { COMPONENT_NODE_FLAGS } from "../../../deploy/node-flags.ts";
import { ownStack, wattlineBin as wattline } from "../../support/own-stack.ts";

const stack = await ownStack("first-start");
const env = stack.env;
let start: ChildProcess | undefined;

after(async () => {
  if (start && start.exitCode === null && start.signalCode === null) start.kill("SIGKILL");
  await stack.down();
});

test("a first `wattline start` comes up with its fleet as systems, live, and stops whole", async () => {
  const api = `http://127.0.0.1:${env.WATTLINE_API_PORT}`;
  const child = spawn(process.execPath, [wattline, "start"], { env, stdio: ["ignore", "pipe", "pipe"] });
  start = child;
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const deadline = Date.now() + 240_000;
  while (!out.includes("Wattline is running")) {
    assert.equal(child.exitCode, null, `wattline start ended early:\n${out.slice(-3000)}`);
    assert.ok(Date.now() < deadline, `not running after 240 s:\n${out.slice(-3000)}`);
    await sleep(250);
  }
  assert.match(out, /Wattline is running: .* [1-9]\d* simulated devices in [1-9]\d* systems/);

  const key = execFileSync(
    process.execPath,
    [wattline, "apikey", "create", "--name", "first", "--role", "viewer"],
    {
      env,
      encoding: "utf8",
    },
  ).trim();
  const get = (path: string) => fetch(`${api}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  const systems = (await (await get("/api/v1/systems")).json()) as { items: { id: number }[] };
  assert.ok(systems.items.length > 0, "the fleet's systems are registered");

  // Live: the simulator's readings go through MQTT, Kafka and the processors to the system's current view.
  let online = 0;
  while (online === 0 && Date.now() < deadline) {
    const now = (await (await get(`/api/v1/systems/${systems.items[0]?.id}/now`)).json()) as {
      devices?: { online?: number };
    };
    online = now.devices?.online ?? 0;
    if (online === 0) await sleep(1000);
  }
  assert.ok(online > 0, `no device of the first system online:\n${out.slice(-3000)}`);

  // Every component runs with the Node flags measured for it (deploy/node-flags.ts).
  const components = execFileSync("ps", ["--ppid", String(child.pid), "-o", "args="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes("wattline.js"));
  assert.ok(components.length >= 4, `components of wattline start: ${components.join("\n")}`);
  for (const line of components)
    for (const flag of COMPONENT_NODE_FLAGS) assert.ok(line.includes(flag), `${flag} missing: ${line}`);

  // QuestDB logs errors and advisories only: at INFO it wrote a line per WAL transaction, merge and query.
  const questdbLog = readFileSync(join(env.WATTLINE_STATE_DIR as string, "logs", "questdb.log"), "utf8");
  const info = questdbLog.split("\n").filter((line) => / I /.test(line.slice(0, 40)));
  assert.deepEqual(info, [], "QuestDB logged at INFO");

  child.kill("SIGTERM");
  assert.equal(await exited, 0, out.slice(-3000));
});
