import assert from "node:assert/strict";
import { test } from "node:test";
import { createApp } from "../../../api/app.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { config } from "../../support/stack.ts";

test("GET /health reports every dependency up, and degraded when one is down", async () => {
  const questdb = questdbPool(config);
  const postgres = postgresPool(config);
  try {
    const up = createApp({ kafka: createKafka(config), questdb, postgres, mqttConnected: () => true });
    const ok = await up.request("/health");
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { status: string; services: Record<string, { status: string }> };
    assert.equal(body.status, "healthy");
    assert.deepEqual(Object.keys(body.services).sort(), ["kafka", "mqtt", "postgres", "questdb"]);

    const down = createApp({ kafka: createKafka(config), questdb, postgres, mqttConnected: () => false });
    const degraded = await down.request("/health");
    assert.equal(degraded.status, 503);
    assert.equal(
      ((await degraded.json()) as { services: { mqtt: { status: string } } }).services.mqtt.status,
      "down",
    );
  } finally {
    await Promise.all([questdb.end(), postgres.end()]);
  }
});
