// Issue 11, point 6: the stack creates the MQTT connector's persistent session when it creates the broker, so a QoS 1
// reading published before the connector ever subscribed is queued for it and stored, not acknowledged to no one.
// A broker of its own (Mosquitto as the stack configures it, on a free port under a temporary folder), topics of its own.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import mqtt from "mqtt";
import { startMqttConnector } from "../../../connectors/mqtt/connector.ts";
import { mosquitto } from "../../../deploy/stack/mosquitto.ts";
import { stackPaths } from "../../../deploy/stack/paths.ts";
import { ensureSecrets } from "../../../deploy/stack/secrets.ts";
import type { StackContext } from "../../../deploy/stack/service.ts";
import { loadConfig } from "../../../ground/config.ts";
import { createLogger } from "../../../ground/logger.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { ownTopics, readAll } from "../../support/own-topics.ts";
import { type Owned, spawnOwned } from "../../support/owned-process.ts";
import { freePort } from "../../support/ports.ts";
import { config as stackConfig } from "../../support/stack.ts";

const own = ownTopics("mqtt-session");
const dir = mkdtempSync(join(tmpdir(), "wattline-mosquitto-"));
let broker: Owned | undefined;

after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
  await own.drop();
});

test("a reading published before the connector first ran is stored once it runs", async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WATTLINE_STATE_DIR: dir,
    WATTLINE_MQTT_PORT: String(await freePort()),
  };
  delete env.WATTLINE_MQTT_URL;
  const secrets = ensureSecrets(dir);
  const config = { ...loadConfig(env), kafka: stackConfig.kafka };
  const ctx: StackContext = { config, paths: stackPaths(dir), secrets, log: () => {} };
  await mosquitto.prepare(ctx);
  const { command, args } = mosquitto.command(ctx);
  broker = spawnOwned(command, args);
  for (let i = 0; i < 100 && !(await mosquitto.healthy(ctx).catch(() => false)); i++)
    await new Promise((r) => setTimeout(r, 100));
  await mosquitto.afterStart?.(ctx);

  const device = `${own.prefix.slice(0, -1)}-early`;
  const publisher = await mqtt.connectAsync(config.mqtt.url, {
    username: secrets.mqttUsername,
    password: secrets.mqttPassword,
  });
  await publisher.publishAsync(`autovolt/${device}/telemetry`, JSON.stringify({ energy_wh_total: 42 }), {
    qos: 1,
  });
  await publisher.endAsync();

  const connector = await startMqttConnector(
    { ...config, mqtt: { ...config.mqtt, username: secrets.mqttUsername, password: secrets.mqttPassword } },
    createLogger("test", "warn"),
  );
  try {
    const read = await readAll([TOPICS.telemetry], (all) => all.some((r) => r.key === device), 30_000);
    assert.deepEqual(
      read.filter((r) => r.key === device).map((r) => r.record.energy_wh_total),
      [42],
    );
  } finally {
    await connector.stop();
  }
});
