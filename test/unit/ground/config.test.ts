import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../../ground/config.ts";

const base = { WATTLINE_STATE_DIR: "/nonexistent/wattline-state" };

test("config: defaults point at the local stack's own ports", () => {
  const c = loadConfig(base);
  assert.deepEqual(c.kafka.brokers, ["127.0.0.1:19092"]);
  assert.equal(c.questdb.httpUrl, "http://127.0.0.1:19000");
  assert.match(c.postgres.url, /@127\.0\.0\.1:15432\/wattline$/);
  assert.equal(c.mqtt.url, "mqtt://127.0.0.1:11883");
  assert.equal(c.api.port, 8080);
});

test("config: a local Kafka cluster's bootstrap list names every node, two ports apart", () => {
  const c = loadConfig({ ...base, WATTLINE_KAFKA_NODES: "3" });
  assert.deepEqual(c.kafka.brokers, ["127.0.0.1:19092", "127.0.0.1:19094", "127.0.0.1:19096"]);
  assert.equal(c.kafka.replicationFactor, -1, "topics take the cluster's default replication factor");
});

test("config: external services are configuration only", () => {
  const c = loadConfig({
    ...base,
    WATTLINE_KAFKA_BROKERS: "k1.example:9092, k2.example:9092",
    WATTLINE_POSTGRES_URL: "postgres://u:p@db.example:5432/prod",
    WATTLINE_MQTT_URL: "mqtts://broker.example:8883",
    WATTLINE_MQTT_USERNAME: "fleet",
    WATTLINE_MQTT_PASSWORD: "s3cret",
  });
  assert.deepEqual(c.kafka.brokers, ["k1.example:9092", "k2.example:9092"]);
  assert.equal(c.postgres.url, "postgres://u:p@db.example:5432/prod");
  assert.deepEqual(
    [c.mqtt.url, c.mqtt.username, c.mqtt.password],
    ["mqtts://broker.example:8883", "fleet", "s3cret"],
  );
});

test("config: a bad value stops the start naming the variable", () => {
  assert.throws(
    () => loadConfig({ ...base, WATTLINE_API_PORT: "eighty" }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /WATTLINE_API_PORT/);
      return true;
    },
  );
  assert.throws(() => loadConfig({ ...base, WATTLINE_LOG_LEVEL: "loud" }), /WATTLINE_LOG_LEVEL/);
  assert.throws(() => loadConfig({ ...base, WATTLINE_POSTGRES_URL: "not a url" }), /WATTLINE_POSTGRES_URL/);
});
