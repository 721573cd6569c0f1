// Runs `wattline simulate` as a user would, against the local stack's Mosquitto (start it: wattline stack up).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import mqtt, { type MqttClient } from "mqtt";
import { config, unique } from "../../support/stack.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface Received {
  topic: string;
  text: string;
}

/** A subscriber to everything the simulator publishes, keeping only this test's devices (by id prefix). */
async function listen(prefix: string): Promise<{ client: MqttClient; received: Received[] }> {
  const client = await mqtt.connectAsync(config.mqtt.url, {
    username: config.mqtt.username,
    password: config.mqtt.password,
    clientId: unique("sim-it"),
  });
  const received: Received[] = [];
  client.on("message", (topic, payload) => {
    if (topic.includes(`/${prefix}-`)) received.push({ topic, text: payload.toString() });
  });
  await client.subscribeAsync(
    [
      "autovolt/+/telemetry",
      "autovolt/+/status",
      "autovolt/+/heartbeat",
      "+/sweet-home/+/status-control/connectors-count",
    ],
    { qos: 1 },
  );
  return { client, received };
}

function simulate(args: string[]): {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null; output: string }>;
} {
  const child = spawn(process.execPath, ["bin/wattline.js", "simulate", ...args], {
    cwd: repoRoot,
    env: { ...process.env, CI: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<{ code: number | null; signal: string | null; output: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, output })),
  );
  return { child, exited };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const devicesIn = (received: Received[], suffix: string) =>
  new Set(received.filter((r) => r.topic.endsWith(suffix)).map((r) => r.topic.split("/")[1]));

const statuses = (received: Received[], status: string) =>
  received.filter((r) => r.topic.endsWith("/status") && JSON.parse(r.text).status === status);

test("simulate: a fleet publishes valid telemetry for every device, then says offline", async () => {
  const prefix = unique("it");
  const { client, received } = await listen(prefix);
  try {
    const devices = 12;
    const run = simulate([
      ...["--devices", String(devices), "--interval", "10", "--speed", "50", "--duration", "4"],
      ...["--seed", "3", "--prefix", prefix],
    ]);
    const { code, output } = await run.exited;
    assert.equal(code, 0, output);
    await until(() => statuses(received, "offline").length === devices, 5000, "offline statuses");

    const telemetry = received.filter((r) => r.topic.endsWith("/telemetry"));
    // 4 s at 50× is 200 simulated seconds: about 20 readings per device.
    assert.ok(telemetry.length >= devices * 10, `${telemetry.length} readings`);
    for (const { topic, text } of telemetry) {
      const r = JSON.parse(text);
      assert.equal(topic, `autovolt/${r.device_id}/telemetry`);
      assert.match(r.ts, ISO_Z);
      for (const field of ["energy_wh_total", "power_w", "voltage_v", "current_a", "seq"]) {
        assert.equal(typeof r[field], "number", `${field} in ${text}`);
      }
      assert.ok(r.energy_wh_total >= 0);
      assert.equal(typeof r.boot_id, "string");
    }
    assert.equal(devicesIn(received, "/telemetry").size, devices);
    assert.equal(devicesIn(received, "/heartbeat").size, devices);
    assert.equal(statuses(received, "online").length, devices);
    // 12 devices hold one EV charger (every twentieth device, the fifth first).
    const counts = received.filter((r) => r.topic.endsWith("/connectors-count"));
    assert.ok(counts.length >= 1);
    for (const c of counts) {
      assert.match(
        c.topic,
        new RegExp(`^${prefix}-acc-\\d{3}/sweet-home/${prefix}-evc-0001/status-control/connectors-count$`),
      );
      assert.match(c.text, /^[1-9]\d*$/);
    }
    assert.match(output, /"msg":"simulation stopped"/);
  } finally {
    await client.endAsync();
  }
});

test("simulate: SIGTERM stops it cleanly, every device saying offline", async () => {
  const prefix = unique("it");
  const { client, received } = await listen(prefix);
  try {
    const devices = 6;
    const run = simulate([
      "--devices",
      String(devices),
      "--interval",
      "5",
      "--speed",
      "20",
      "--prefix",
      prefix,
    ]);
    await until(
      () => devicesIn(received, "/telemetry").size === devices,
      15_000,
      "telemetry from every device",
    );
    run.child.kill("SIGTERM");
    const { code, output } = await run.exited;
    assert.equal(code, 0, output);
    await until(() => statuses(received, "offline").length === devices, 5000, "offline statuses");
  } finally {
    await client.endAsync();
  }
});

test("simulate: with a connection per device, the broker publishes each device's last will when it dies", async () => {
  const prefix = unique("it");
  const { client, received } = await listen(prefix);
  try {
    const devices = 5;
    const run = simulate([
      ...["--devices", String(devices), "--connections", String(devices), "--interval", "5", "--speed", "20"],
      ...["--prefix", prefix],
    ]);
    await until(
      () => devicesIn(received, "/telemetry").size === devices,
      15_000,
      "telemetry from every device",
    );
    run.child.kill("SIGKILL");
    await run.exited;
    await until(() => statuses(received, "offline").length === devices, 10_000, "last wills");
    // The will is fixed at connect time, so it carries no timestamp: that is how it differs from a clean stop.
    for (const will of statuses(received, "offline")) assert.equal(will.text, '{"status":"offline"}');
  } finally {
    await client.endAsync();
  }
});
