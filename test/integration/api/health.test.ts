// Issue 11, point 4: /health is a cheap public liveness answer read from state probed in the background; the detailed
// report is for authenticated viewers and describes problems without internals; requests without a valid key are
// limited per client address, and an unknown key is remembered for a while instead of read for every request.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { serve } from "@hono/node-server";
import pg from "pg";
import { generateKey } from "../../../api/auth/keys.ts";
import { HealthMonitor } from "../../../api/health.ts";
import { createKafka, type Kafka } from "../../../ground/kafka.ts";
import { config } from "../../support/stack.ts";
import { type Harness, harness } from "./support.ts";

let h: Harness;
before(async () => {
  h = await harness("health");
});
after(() => h.close());

/** The real Kafka client, counting the admin connections asked of it. */
function countingKafka(): { kafka: Kafka; admins: () => number } {
  const kafka = createKafka(config);
  let admins = 0;
  const admin = kafka.admin.bind(kafka);
  kafka.admin = (options) => {
    admins++;
    return admin(options);
  };
  return { kafka, admins: () => admins };
}

test("GET /health says healthy or degraded, and nothing else", async () => {
  const ok = await h.call("GET", "/health", { key: null });
  assert.equal(ok.status, 200);
  assert.deepEqual(Object.keys(ok.body).sort(), ["status", "timestamp"]);
  assert.equal(ok.body.status, "healthy");

  const down = h.caller(h.makeApp({ mqttConnected: () => false }));
  const degraded = await down("GET", "/health", { key: null });
  assert.equal(degraded.status, 503);
  assert.deepEqual(degraded.body.status, "degraded");
});

test("the detailed report needs a key, and names no host, user or driver error", async () => {
  assert.equal((await h.call("GET", "/api/v1/health", { key: null })).status, 401);
  const unreachable = new pg.Pool({ connectionString: "postgres://secretuser:pw@127.0.0.1:1/qdb", max: 1 });
  try {
    const call = h.caller(h.makeApp({ questdb: unreachable }));
    const report = await call("GET", "/api/v1/health", { role: "viewer" });
    assert.equal(report.status, 200);
    assert.equal(report.body.status, "degraded");
    const services = report.body.services as Record<string, { status: string; error?: string }>;
    assert.deepEqual(services.questdb?.status, "down");
    assert.equal(services.questdb?.error, "unreachable or refused");
    assert.equal(services.kafka?.status, "up");
    assert.doesNotMatch(JSON.stringify(report.body), /127\.0\.0\.1|secretuser|ECONNREFUSED/);
  } finally {
    await unreachable.end();
  }
});

test("a flood of /health from one address is answered within its limit and opens no Kafka connection per call", async () => {
  const { kafka, admins } = countingKafka();
  const health = new HealthMonitor({
    kafka,
    questdb: h.questdb,
    postgres: h.pool,
    mqttConnected: () => true,
  });
  const app = h.makeApp({ kafka, health, anonymousRateLimit: { ratePerSecond: 5, burst: 20 } });
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  try {
    const statuses: number[] = [];
    const started = performance.now();
    for (let i = 0; i < 200; i++) statuses.push((await fetch(url)).status);
    const seconds = (performance.now() - started) / 1000;
    const answered = statuses.filter((s) => s === 200).length;
    assert.ok(answered >= 20, `the burst is answered (${answered})`);
    assert.ok(answered <= 20 + Math.ceil(seconds * 5) + 1, `${answered} answered in ${seconds.toFixed(2)} s`);
    assert.equal(statuses.filter((s) => s !== 200 && s !== 429).length, 0);
    assert.equal(admins(), 1, "one Kafka admin for every probe");
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await health.stop();
  }
});

test("an unknown key costs one registry read, and an address that keeps failing is refused before any", async () => {
  let keyReads = 0;
  const counting = new Proxy(h.pool, {
    get(pool, prop, receiver) {
      if (prop !== "query") return Reflect.get(pool, prop, receiver);
      return (...args: Parameters<pg.Pool["query"]>) => {
        if (JSON.stringify(args[0]).includes("api_keys")) keyReads++;
        return (pool.query as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
  const call = h.caller(
    h.makeApp({ postgres: counting, anonymousRateLimit: { ratePerSecond: 1, burst: 10 } }),
  );
  const unknown = generateKey().key;
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) statuses.push((await call("GET", "/api/v1/sites", { key: unknown })).status);
  assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
  assert.ok(
    statuses.slice(11).every((s) => s === 429),
    statuses.join(","),
  );
  assert.equal(keyReads, 1);
  const fresh = generateKey().key;
  assert.equal(
    (await call("GET", "/api/v1/sites", { key: fresh })).status,
    429,
    "a spent address gets no read",
  );
  assert.equal(keyReads, 1);
});

test("under a supervisor, /health is healthy only once every component is ready", async () => {
  let state = { ready: false, waiting: ["mqtt-connector", "ledger"] };
  const health = new HealthMonitor(
    { kafka: createKafka(config), questdb: h.questdb, postgres: h.pool, mqttConnected: () => true },
    { components: () => state },
  );
  const call = h.caller(h.makeApp({ health }));
  try {
    const starting = await call("GET", "/health", { key: null });
    assert.equal(starting.status, 503);
    const report = await call("GET", "/api/v1/health", { role: "viewer" });
    const services = report.body.services as Record<string, { error?: string }>;
    assert.equal(services.components?.error, "not ready: mqtt-connector, ledger");
    state = { ready: true, waiting: [] };
    assert.equal((await call("GET", "/health", { key: null })).status, 200, "at once, not at the next probe");
  } finally {
    await health.stop();
  }
});
