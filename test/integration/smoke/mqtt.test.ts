import assert from "node:assert/strict";
import { test } from "node:test";
import mqtt from "mqtt";
import { config, unique } from "../../support/stack.ts";

const credentials = { username: config.mqtt.username, password: config.mqtt.password };

test("mqtt: a QoS 1 message published with credentials reaches a subscriber", async () => {
  const topic = `smoke/${unique("t")}`;
  const sub = await mqtt.connectAsync(config.mqtt.url, { ...credentials, clientId: unique("sub") });
  const pub = await mqtt.connectAsync(config.mqtt.url, { ...credentials, clientId: unique("pub") });
  try {
    await sub.subscribeAsync(topic, { qos: 1 });
    const received = new Promise<string>((resolve) =>
      sub.on("message", (_t, payload) => resolve(payload.toString())),
    );
    await pub.publishAsync(topic, "42", { qos: 1 });
    assert.equal(await received, "42");
  } finally {
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  }
});

test("mqtt: an anonymous client is refused", async () => {
  await assert.rejects(
    mqtt.connectAsync(config.mqtt.url, { reconnectPeriod: 0, connectTimeout: 3000 }),
    /Not authorized|not authorised|Connection refused/i,
  );
});

test("mqtt: a wrong password is refused", async () => {
  await assert.rejects(
    mqtt.connectAsync(config.mqtt.url, {
      username: config.mqtt.username,
      password: "wrong",
      reconnectPeriod: 0,
      connectTimeout: 3000,
    }),
    /Not authorized|not authorised|Bad username or password|Connection refused/i,
  );
});
