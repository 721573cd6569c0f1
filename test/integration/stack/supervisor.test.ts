// Issue 11, point 3: `wattline start` never runs half a system. A component that exits is started again; one that
// keeps failing stops everything with its name and last log lines; a port in use stops the start with one line
// naming the variable; and the components end with the supervisor however it ends (SIGINT, SIGTERM to its pid
// alone, SIGKILL).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { addressInUse } from "../../../deploy/component-ports.ts";
import { Supervisor } from "../../../deploy/supervisor.ts";

const here = import.meta.dirname;
const root = join(here, "..", "..", "..");
const component = join(here, "..", "..", "support", "supervised", "component.ts");
const spec = (name: string, ...args: string[]) => ({
  name,
  command: process.execPath,
  args: ["--import", "tsx", component, ...args],
});
const dir = mkdtempSync(join(tmpdir(), "wattline-supervisor-"));
const spawned: ChildProcess[] = [];
const pidsToReap: number[] = [];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pids: number[], timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  return pids.filter(alive);
}

after(() => {
  for (const child of spawned) if (child.exitCode === null) child.kill("SIGKILL");
  for (const pid of pidsToReap) if (alive(pid)) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("restarts and giving up", () => {
  test("a component that crashes is started again, and keeps running", async () => {
    const quiet = { write: () => {}, backoffMs: 50 };
    const supervisor = new Supervisor([spec("flaky", "crash-once", join(dir, "crashed-once"))], quiet);
    while (supervisor.restarts("flaky") < 1) await sleep(50);
    await sleep(1500);
    const pid = supervisor.pids().flaky as number;
    pidsToReap.push(pid);
    assert.ok(alive(pid), "the restarted component runs");
    assert.equal(supervisor.restarts("flaky"), 1);
    assert.deepEqual(await supervisor.stop(), {});
    assert.deepEqual(await gone([pid]), []);
  });

  test("a component failing again and again stops everything, naming it and quoting its last lines", async () => {
    const options = { write: () => {}, backoffMs: 20, maxFailures: 3 };
    const supervisor = new Supervisor([spec("steady", "idle"), spec("broken", "crash")], options);
    const { failed } = await supervisor.done;
    assert.equal(failed?.component, "broken");
    assert.match(failed?.reason ?? "", /^broken exited 3 times in 60 s \(last: code 1\)$/);
    assert.ok(failed?.lastLines.includes("boom: something went wrong"));
    assert.deepEqual(
      await gone(Object.values(supervisor.pids()) as number[]),
      [],
      "the steady one was stopped too",
    );
  });
});

describe("readiness", () => {
  test("a component is ready when it says so, or once it has run settleMs; every component hears it", async () => {
    const heard: string[] = [];
    const supervisor = new Supervisor([spec("announcer", "ready"), spec("quiet", "idle")], {
      settleMs: 4000,
      write: (text) => heard.push(text),
    });
    pidsToReap.push(...(Object.values(supervisor.pids()) as number[]));
    assert.deepEqual(supervisor.waiting(), ["announcer", "quiet"]);
    while (supervisor.waiting().includes("announcer")) await sleep(50);
    assert.deepEqual(supervisor.waiting(), ["quiet"], "the quiet one is not ready before settleMs");
    while (supervisor.waiting().length > 0) await sleep(100);
    await sleep(200);
    const said = heard.filter((t) => t.startsWith("[announcer] heard "));
    assert.match(said.at(-1) ?? "", /"wattline":"components","ready":true,"waiting":\[\]/);
    assert.ok(said.some((t) => t.includes('"ready":false,"waiting":["quiet"]')));
    await supervisor.stop();
  });
});

describe("a port in use", () => {
  let server: Server;
  after(() => server?.close());

  test("wattline start stops before starting anything, with one line naming the variable", async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    const port = (server.address() as { port: number }).port;
    // Every other port of the components free, whatever else runs on this machine.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, "127.0.0.1", resolve));
    const simulatorPort = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    const child = spawn(process.execPath, [join(root, "bin", "wattline.js"), "start"], {
      env: {
        ...process.env,
        WATTLINE_API_PORT: String(port),
        WATTLINE_HOPECLOUD_SIMULATOR_PORT: String(simulatorPort),
        WATTLINE_METRICS_PORT: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    spawned.push(child);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    const code = await new Promise((resolve) => child.once("exit", resolve));
    assert.equal(code, 1);
    assert.equal(
      out,
      `[start] port ${port} is in use by another process: stop that process, or set WATTLINE_API_PORT to a free port\n`,
    );
  });

  test("a component's EADDRINUSE names the variable too", () => {
    const explain = addressInUse([[8080, "WATTLINE_API_PORT"]]);
    const line = '{"level":60,"err":{"message":"listen EADDRINUSE: address already in use 0.0.0.0:8080"}}';
    assert.match(explain(line) ?? "", /^port 8080 is in use by another process: .* set WATTLINE_API_PORT/);
    assert.match(explain("Error: listen EADDRINUSE: address already in use :::9464") ?? "", /^port 9464 /);
    assert.equal(explain("listening on 8080"), undefined);
  });
});

describe("the components end with the supervisor, however it ends", () => {
  for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
    test(`${signal} to the supervisor's pid alone leaves no component running`, async () => {
      const supervisor = spawn(
        process.execPath,
        ["--import", "tsx", join(here, "..", "..", "support", "supervised", "supervisor.ts")],
        {
          stdio: ["ignore", "pipe", "inherit"],
          detached: true, // its own process group: no signal reaches the components but through the supervisor
        },
      );
      spawned.push(supervisor);
      const pids = await new Promise<number[]>((resolve) => {
        let out = "";
        supervisor.stdout.on("data", (d) => {
          out += d;
          const line = /^pids (.*)$/m.exec(out)?.[1];
          if (line) resolve(Object.values(JSON.parse(line) as Record<string, number>));
        });
      });
      pidsToReap.push(...pids);
      assert.equal(pids.filter(alive).length, 2);
      process.kill(supervisor.pid as number, signal);
      assert.deepEqual(await gone(pids), [], "no component outlives the supervisor");
      const code = await new Promise((resolve) =>
        supervisor.exitCode !== null || supervisor.signalCode !== null
          ? resolve(supervisor.exitCode)
          : supervisor.once("exit", resolve),
      );
      if (signal !== "SIGKILL") assert.equal(code, 0);
    });
  }
});
