import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import mqtt from "mqtt";
import { startMqttConnector } from "../../../connectors/mqtt/connector.ts";
import { createLogger } from "../../../ground/logger.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { collect } from "../../support/kafka.ts";
import { config, unique } from "../../support/stack.ts";

const logger = createLogger("test", "warn");
const credentials = { username: config.mqtt.username, password: config.mqtt.password };

/** Forgets a persistent session so the broker stops queueing for it. */
async function dropSession(clientId: string): Promise<void> {
  const c = await mqtt.connectAsync(config.mqtt.url, { ...credentials, clientId, clean: true });
  await c.endAsync();
}

async function publishReadings(device: string, from: number, n: number, pauseEvery = 0): Promise<void> {
  const pub = await mqtt.connectAsync(config.mqtt.url, credentials);
  for (let i = from; i < from + n; i++) {
    await pub.publishAsync(
      `autovolt/${device}/telemetry`,
      JSON.stringify({ energy_wh_total: i, seq: i, ts: 1_700_000_000_000 + i * 1000 }),
      { qos: 1 },
    );
    if (pauseEvery > 0 && i % pauseEvery === 0) await sleep(10);
  }
  await pub.endAsync();
}

const seqs = (records: { record: Record<string, unknown> }[]) =>
  new Set(records.map((r) => r.record.seq as number));

test("stop the connector, publish N messages, start it again: all N arrive", async () => {
  const clientId = unique("restart");
  const device = unique("dev-restart");
  const cfg = { ...config, mqtt: { ...config.mqtt, clientId } };
  const first = await startMqttConnector(cfg, logger);
  await first.stop();
  const n = 500;
  await publishReadings(device, 0, n);
  const second = await startMqttConnector(cfg, logger);
  try {
    const got = await collect(
      TOPICS.telemetry,
      (k) => k === device,
      (c) => seqs(c).size >= n,
      30_000,
    );
    assert.equal(seqs(got).size, n);
  } finally {
    await second.stop();
    await dropSession(clientId);
  }
});

/** Starts `wattline connect mqtt` and resolves once it has subscribed. */
async function spawnConnector(clientId: string): Promise<ChildProcess> {
  const child = spawn("node", ["bin/wattline.js", "connect", "mqtt"], {
    env: {
      ...process.env,
      WATTLINE_MQTT_CLIENT_ID: clientId,
      WATTLINE_METRICS_PORT: "0",
      WATTLINE_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("subscribed")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`connector exited with ${code} before subscribing`)));
  });
  child.stdout?.resume();
  return child;
}

test("kill -9 the connector while messages flow, start it again: nothing is lost", async () => {
  const clientId = unique("crash");
  const device = unique("dev-crash");
  const n = 3000;
  // A connector that ran before: the broker keeps its session and queues for it from now on.
  await (await startMqttConnector({ ...config, mqtt: { ...config.mqtt, clientId } }, logger)).stop();
  let child = await spawnConnector(clientId);
  try {
    const publishing = publishReadings(device, 0, n, 20);
    for (let kill = 0; kill < 3; kill++) {
      await sleep(200 + Math.random() * 600);
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      child = await spawnConnector(clientId);
    }
    await publishing;
    const got = await collect(
      TOPICS.telemetry,
      (k) => k === device,
      (c) => seqs(c).size >= n,
      60_000,
    );
    const missing = [...Array(n).keys()].filter((i) => !seqs(got).has(i));
    assert.deepEqual(missing, [], `${missing.length} of ${n} readings lost`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    await dropSession(clientId);
  }
});

test("routes from a configuration file map a new device family without code changes", async () => {
  const routesFile = join(tmpdir(), `${unique("routes")}.json`);
  writeFileSync(
    routesFile,
    JSON.stringify([
      {
        name: "shelly",
        kind: "telemetry",
        pattern: "shellies/{device}/emeter/0/json",
        fields: { total: "energy_wh_total", power: "power_w" },
      },
    ]),
  );
  const device = unique("shelly");
  const connector = await startMqttConnector(
    { ...config, mqtt: { ...config.mqtt, clientId: unique("routes"), routesFile } },
    logger,
    {
      cleanSession: true,
    },
  );
  await connector.client.subscribeAsync("shellies/#", { qos: 1 });
  try {
    const pub = await mqtt.connectAsync(config.mqtt.url, credentials);
    await pub.publishAsync(
      `shellies/${device}/emeter/0/json`,
      JSON.stringify({ total: 99.5, power: 12, ts: "2025-01-01T00:00:00Z" }),
      { qos: 1 },
    );
    await pub.endAsync();
    const [got] = await collect(TOPICS.telemetry, (k) => k === device, 1);
    assert.deepEqual([got?.record.energy_wh_total, got?.record.power_w], [99.5, 12]);
  } finally {
    await connector.stop();
  }
});
