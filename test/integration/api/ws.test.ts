// The live feed end to end on the real services: two API instances, each with its own Kafka consumer, a system whose
// rows are seeded through the energy core, WebSocket clients with each kind of credential, a reading published over
// MQTT through the real connector and pushed to the clients, a status transition from Kafka, per-instance stats, and
// broadcasts sent to one instance reaching the clients of both.
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { serve } from "@hono/node-server";
import mqtt, { type MqttClient } from "mqtt";
import WebSocket from "ws";
import { WS_PROTOCOL } from "../../../api/auth/credential.ts";
import { type LiveMonitoring, startLiveMonitoring } from "../../../api/ws/server.ts";
import { type MqttConnector, startMqttConnector } from "../../../connectors/mqtt/connector.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { createLogger } from "../../../ground/logger.ts";
import { ensureTopics, TOPICS } from "../../../ground/topics.ts";
import { zoneClock } from "../../../pipelines/core/hours.ts";
import type { LedgerRows } from "../../../pipelines/ledger/sink.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { reading, rowCounts, seedLedger, waitForRows } from "../../support/ledger-seed.ts";
import { config } from "../../support/stack.ts";
import { type Call, type Harness, harness } from "./support.ts";

type Body = Record<string, unknown>;
interface Message {
  type: string;
  data: Body;
}

const logger = createLogger("test", "warn");
const ZONE = "Europe/Berlin";
let h: Harness;
/** An API instance: its live feed, server and a caller of its app. */
interface Instance {
  live: LiveMonitoring;
  server: Server;
  base: string;
  call: Call;
}
/** Instance A serves the tests' clients and calls; B is the other instance behind the same balancer. */
let a: Instance;
let b: Instance;
let call: Call;
let base: string;
let connector: MqttConnector;
let publisher: MqttClient;
let systemId: number;
let otherSystemId: number;
let g1: string;
let g2: string;
let battery: string;
let seeded: LedgerRows;
const seededAt = Date.now();
const ago = (minutes: number) => new Date(seededAt - minutes * 60_000).toISOString();

/** A client that keeps every message it gets, to wait for the next one matching. */
class Client {
  readonly messages: Message[] = [];
  #waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)) as Message);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  async next(
    type: string,
    matches: (m: Message) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type && matches(m));
      if (i >= 0) return this.messages.splice(0, i + 1).at(-1) as Message;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${type} message in ${timeoutMs} ms: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once("close", () => resolve());
      this.ws.close();
    });
  }
}

const clients: Client[] = [];
const url = (path: string, on = base) => `${on.replace("http", "ws")}${path}`;

async function connect(
  path: string,
  options: { key?: string; protocols?: string[]; on?: Instance } = {},
): Promise<Client> {
  const headers = options.key ? { Authorization: `Bearer ${options.key}` } : undefined;
  const ws = new WebSocket(url(path, options.on?.base), options.protocols ?? [], headers ? { headers } : {});
  const client = new Client(ws);
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return client;
}

/** The status (and WWW-Authenticate) of an upgrade the server refused. */
function refused(path: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url(path), { headers });
  ws.on("error", () => {}); // terminating a refused handshake reports it as an error
  return new Promise<{ status: number; authenticate: string | undefined }>((resolve, reject) => {
    ws.once("unexpected-response", (_req, res) => {
      resolve({ status: res.statusCode ?? 0, authenticate: res.headers["www-authenticate"] });
      ws.terminate();
    });
    ws.once("open", () => reject(new Error(`${path}: upgraded`)));
  });
}

async function startInstance(): Promise<Instance> {
  const live = startLiveMonitoring(
    { kafka: createKafka(config), config, postgres: h.pool, questdb: h.questdb, logger },
    { coalesceMs: 50, refreshMs: 3_600_000 },
  );
  const app = h.makeApp({ monitoring: live.monitor, broadcasts: live.broadcasts });
  const server = await new Promise<Server>((resolve) => {
    const s = serve(
      { fetch: app.fetch, port: 0, hostname: "127.0.0.1", websocket: { server: live.wss } },
      () => resolve(s as Server),
    );
  });
  return {
    live,
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    call: h.caller(app),
  };
}

async function stopInstance(i: Instance): Promise<void> {
  await i.live.stop();
  await new Promise((resolve) => i.server.close(resolve));
}

before(async () => {
  h = await harness("ws");
  const site = `${h.tag}-site`;
  [g1, g2, battery] = ["inv-1", "inv-2", "bat"].map((n) => `${h.tag}-${n}`) as [string, string, string];
  await h.call("POST", "/api/v1/sites", {
    body: { id: site, name: "Roof", timezone: ZONE, emission_factor_kg_per_kwh: 0.4 },
  });
  systemId = (await h.call("POST", "/api/v1/systems", { body: { site_id: site, key: "pv" } })).body
    .id as number;
  otherSystemId = (await h.call("POST", "/api/v1/systems", { body: { site_id: site, key: "pv-2" } })).body
    .id as number;
  for (const [device_id, kind] of [
    [g1, "inverter"],
    [g2, "inverter"],
    [battery, "battery"],
  ])
    await h.call("POST", "/api/v1/devices", {
      body: { device_id, site_id: site, kind, system_id: systemId, timezone: ZONE },
    });
  await h.pool.query(
    "INSERT INTO device_status (device_id, status, changed_at) VALUES ($1, 'online', now())",
    [g1],
  );
  // The snapshot reads the system's group rows, which take a device by its mirror row as the ledger writes it.
  const mirrored = (device_id: string, kind: string) => ({
    site_id: site,
    energy_system_id: systemId,
    kind,
    settings: { device_id, timezone: ZONE },
  });
  seeded = await seedLedger(
    [
      // 2 kWh long ago: only in the total.
      {
        ...mirrored(g1, "inverter"),
        readings: [reading(g1, "2024-01-10T00:00:00Z", 0), reading(g1, "2024-01-10T01:00:00Z", 2000)],
      },
      // 1.5 kWh over the last 90 minutes, 1200 W two minutes ago.
      {
        ...mirrored(g2, "inverter"),
        readings: [
          reading(g2, ago(90), 0, 800),
          reading(g2, ago(60), 500, 900),
          reading(g2, ago(2), 1500, 1200),
        ],
      },
      { ...mirrored(battery, "battery"), readings: [reading(battery, ago(1), 10_000, 5000)] },
    ],
    [
      {
        cost_per_kwh: 0.25,
        currency: "EUR",
        effective_from: Date.UTC(2020, 0),
        scope: { kind: "site", site_id: site },
      },
    ],
  );
  await waitForRows(h.questdb, [g1, g2, battery], rowCounts(seeded));

  [a, b] = await Promise.all([startInstance(), startInstance()]);
  ({ call, base } = a);
  const testConfig = { ...config, mqtt: { ...config.mqtt, clientId: `${h.tag}-connector` } };
  connector = await startMqttConnector(testConfig, logger, { cleanSession: true });
  publisher = await mqtt.connectAsync(config.mqtt.url, {
    username: config.mqtt.username,
    password: config.mqtt.password,
    clientId: `${h.tag}-publisher`,
  });
  await Promise.all([a.live.ready, b.live.ready]);
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await publisher.endAsync();
  await connector.stop();
  await Promise.all([stopInstance(a), stopInstance(b)]);
  await h.close();
});

describe("refused before the upgrade", () => {
  test("without a credential, with an unknown key, or with a malformed header: 401", async () => {
    const path = `/ws/monitoring/${systemId}`;
    assert.deepEqual(await refused(path), { status: 401, authenticate: 'Bearer realm="wattline"' });
    assert.equal((await refused(`${path}?token=wl_AAAAAAAAAAAA_${"A".repeat(43)}`)).status, 401);
    assert.equal((await refused(path, { Authorization: "Basic eDp5" })).status, 401);
    assert.equal((await refused(`${path}?token=`)).status, 401);
  });

  test("a key but a bad or unknown system: 400, 404; a plain GET: 426", async () => {
    const auth = { Authorization: `Bearer ${h.keys.viewer}` };
    assert.equal((await refused("/ws/monitoring/abc", auth)).status, 400);
    assert.equal((await refused("/ws/monitoring/999999999999", auth)).status, 404);
    const plain = await fetch(`${base}/ws/monitoring/${systemId}`, { headers: auth });
    assert.equal(plain.status, 426);
    assert.equal(((await plain.json()) as { error: Body }).error.code, "upgrade_required");
  });
});

describe("a connected client", () => {
  let client: Client;

  test("gets a snapshot of real figures first", async () => {
    client = await connect(`/ws/monitoring/${systemId}`, { key: h.keys.viewer });
    const { data } = await client.next("snapshot");
    const clock = zoneClock(ZONE);
    const today = clock.localDate(Date.now());
    const g2Wh = (keep: (date: string) => boolean) =>
      [...seeded.days.values()]
        .filter((d) => d.device_id === g2 && keep(d.day.date))
        .reduce((wh, d) => wh + d.day.energy_wh, 0);
    const todayWh = g2Wh((d) => d === today);
    const monthWh = g2Wh((d) => d.slice(0, 7) === today.slice(0, 7));
    const close = (a: unknown, b: number, what: string) =>
      assert.ok(typeof a === "number" && Math.abs(a - b) < 1e-9, `${what}: ${a} is not ${b}`);
    close(data.today_generation_kwh, todayWh / 1000, "today");
    close(data.monthly_generation_kwh, monthWh / 1000, "month");
    close(data.total_generation_kwh, 3.5, "total");
    close(data.today_savings, (todayWh / 1000) * 0.25, "today's savings");
    close(data.total_savings, 0.875, "total savings");
    close(data.co2_offset_kg, 1.4, "CO2");
    close(data.trees_planted_equivalent, 1.4 / 21, "trees");
    close(data.current_generation_kw, 1.2, "current power");
    const chart = data.chart_data as { labels: string[]; hour_starts: string[]; values: number[] };
    assert.equal(chart.labels.length, 24);
    assert.equal(chart.hour_starts.at(-1), new Date(clock.bucketOf(Date.now()).start).toISOString());
    close(
      chart.values.reduce((a, b) => a + b, 0),
      1.5,
      "the last 24 hours",
    );
    assert.deepEqual(
      {
        system_id: data.system_id,
        timezone: data.timezone,
        status: data.status,
        devices: data.devices,
        generation_devices: data.generation_devices,
        currency: data.currency,
        emission_factor_kg_per_kwh: data.emission_factor_kg_per_kwh,
        last_reading: data.last_reading,
      },
      {
        system_id: systemId,
        timezone: ZONE,
        status: "online",
        devices: { total: 3, online: 1, offline: 0, unknown: 2 },
        generation_devices: 2,
        currency: "EUR",
        emission_factor_kg_per_kwh: 0.4,
        last_reading: { device_id: battery, ts: ago(1), power_w: 5000, energy_wh_total: 10_000 },
      },
    );
  });

  test("then an update within a second of a reading published over MQTT", async (t) => {
    const sent = Date.now();
    await publisher.publishAsync(
      `autovolt/${g2}/telemetry`,
      JSON.stringify({ energy_wh_total: 1600, power_w: 2500, ts: new Date(sent).toISOString() }),
      { qos: 1 },
    );
    const { data } = await client.next("update", (m) =>
      (m.data.readings as Body[]).some((r) => r.device_id === g2),
    );
    const latency = Date.now() - sent;
    t.diagnostic(`update ${latency} ms after the MQTT publish`);
    assert.ok(latency < 1000, `update after ${latency} ms`);
    assert.equal(data.current_generation_kw, 2.5);
    const pushed = { device_id: g2, ts: new Date(sent).toISOString(), power_w: 2500, energy_wh_total: 1600 };
    assert.deepEqual(data.readings, [pushed]);
    assert.deepEqual(data.last_reading, pushed);
    assert.equal(data.status, "online");
  });

  test("and an update when a device's status changes on device.transitions.v1", async () => {
    const admin = createKafka(config).admin();
    await admin.connect();
    await ensureTopics(admin, config);
    await admin.disconnect();
    const producer = createKafka(config).producer();
    await producer.connect();
    const now = Date.now();
    await producer.send({
      topic: TOPICS.transitions,
      acks: -1,
      messages: [
        {
          key: g2,
          value: schemaStore().encode("DeviceStatus", {
            device_id: g2,
            status: "online",
            reason: "telemetry",
            ts: now,
            received_at: now,
            source: "status-processor",
          }),
        },
      ],
    });
    await producer.disconnect();
    const { data } = await client.next("update", (m) => (m.data.devices as Body).online === 2);
    assert.deepEqual(data.devices, { total: 3, online: 2, offline: 0, unknown: 1 });
    assert.deepEqual(data.readings, []);
  });

  test("?token= and Sec-WebSocket-Protocol carry a browser's key", async () => {
    const byQuery = await connect(`/ws/monitoring/${systemId}?token=${h.keys.viewer}`);
    assert.equal((await byQuery.next("snapshot")).data.system_id, systemId);
    const byProtocol = await connect(`/ws/monitoring/${systemId}`, {
      protocols: [WS_PROTOCOL, h.keys.viewer],
    });
    assert.equal(byProtocol.ws.protocol, WS_PROTOCOL);
    assert.equal((await byProtocol.next("snapshot")).data.current_generation_kw, 2.5);
  });
});

describe("GET /ws/monitoring and POST /api/v1/ws/broadcast", () => {
  const open = () => clients.filter((c) => c.ws.readyState === WebSocket.OPEN);
  const broadcasts = (c: Client) => c.messages.filter((m) => m.type === "broadcast");
  /** Clients of system `systemId` on instance A (those of the tests above) and on B, and one of another system on B. */
  let onA: Client[];
  let onB: Client;
  let other: Client;

  test("the stats count this instance's connections per system, messages and its feed, and name it", async () => {
    assert.equal((await call("GET", "/ws/monitoring", { key: null })).status, 401);
    const res = await call("GET", "/ws/monitoring", { role: "viewer" });
    assert.equal(res.status, 200);
    const { id } = a.live.monitor.instance;
    assert.deepEqual(res.body.instance, { id, hostname: hostname(), pid: process.pid });
    assert.equal(res.body.total_connections, open().length);
    assert.deepEqual(res.body.systems, [{ system_id: systemId, connections: open().length }]);
    assert.ok((res.body.messages_sent as number) >= open().length + 2);
    assert.deepEqual(res.body.dropped_clients, { slow: 0, unresponsive: 0 });
    const feed = res.body.feed as Body;
    assert.equal(feed.ready, true);
    assert.equal(feed.group_id, `wattline-api-feed-${id}`);
    const onB = await b.call("GET", "/ws/monitoring", { role: "viewer" });
    assert.notEqual((onB.body.instance as Body).id, id);
    assert.equal(onB.body.total_connections, 0);
  });

  test("401, 403, 400 and 404 before anything is published", async () => {
    const body = { system_id: systemId, message: "maintenance at 02:00" };
    assert.equal((await call("POST", "/api/v1/ws/broadcast", { key: null, body })).status, 401);
    assert.equal((await call("POST", "/api/v1/ws/broadcast", { role: "operator", body })).status, 403);
    for (const bad of [
      {},
      { message: "" },
      { system_id: "x", message: "m" },
      { message: "m", extra: 1 },
      { message: ["m"] },
      { message: "x".repeat(16 * 1024) },
    ]) {
      const res = await call("POST", "/api/v1/ws/broadcast", { body: bad });
      assert.equal(res.status, 400, JSON.stringify(bad).slice(0, 80));
    }
    const unknown = await call("POST", "/api/v1/ws/broadcast", {
      body: { system_id: 999999999999, message: "m" },
    });
    assert.equal(unknown.status, 404);
    // An app without a live feed has nowhere to publish.
    const none = await h.call("POST", "/api/v1/ws/broadcast", { body });
    assert.deepEqual([none.status, (none.body.error as Body).code], [503, "broadcast_unavailable"]);
  });

  test("a broadcast sent to instance A reaches the system's clients on A and on B, once each", async () => {
    onA = open();
    onB = await connect(`/ws/monitoring/${systemId}`, { key: h.keys.viewer, on: b });
    other = await connect(`/ws/monitoring/${otherSystemId}`, { key: h.keys.viewer, on: b });
    await Promise.all([onB.next("snapshot"), other.next("snapshot")]);

    const scoped = await call("POST", "/api/v1/ws/broadcast", {
      body: { system_id: systemId, message: "maintenance at 02:00" },
    });
    assert.equal(scoped.status, 202);
    assert.match(scoped.body.broadcast_id as string, /^[0-9a-f-]{36}$/);
    assert.equal(scoped.body.system_id, systemId);
    for (const c of [...onA, onB])
      assert.deepEqual((await c.next("broadcast")).data, {
        broadcast_id: scoped.body.broadcast_id,
        system_id: systemId,
        message: "maintenance at 02:00",
        sent_by: `${h.tag}-admin`,
        sent_at: scoped.body.sent_at,
      });

    const all = await call("POST", "/api/v1/ws/broadcast", {
      body: { message: { type: "notice", minutes: 30 } },
    });
    assert.deepEqual([all.status, all.body.system_id], [202, null]);
    // `other` watches another system: its first broadcast is the one to all, not the scoped one.
    for (const c of [...onA, onB, other]) {
      const { data } = await c.next("broadcast");
      assert.equal(data.broadcast_id, all.body.broadcast_id);
      assert.deepEqual(data.message, { type: "notice", minutes: 30 });
    }
    await sleep(500);
    for (const c of [...onA, onB, other]) assert.deepEqual(broadcasts(c), [], "a second copy");
  });

  test("bad records on the topic are skipped; the feeds go on", async () => {
    const producer = createKafka(config).producer();
    await producer.connect();
    const store = schemaStore();
    const record = { broadcast_id: "bad", system_id: null, sent_by: "x", sent_at: Date.now() };
    await producer.send({
      topic: TOPICS.broadcasts,
      acks: -1,
      messages: [
        { key: "bytes", value: Buffer.from("not avro") },
        {
          key: "status",
          value: store.encode("DeviceStatus", {
            device_id: g2,
            status: "online",
            reason: "other",
            ts: Date.now(),
            received_at: Date.now(),
            source: "test",
          }),
        },
        ...["{not json", '""', "[1]", "42"].map((message) => ({
          key: "bad",
          value: store.encode("MonitoringBroadcast", { ...record, message }),
        })),
      ],
    });
    await producer.disconnect();
    const good = await call("POST", "/api/v1/ws/broadcast", { body: { message: "still here" } });
    for (const c of [...onA, onB, other])
      assert.equal((await c.next("broadcast")).data.broadcast_id, good.body.broadcast_id);
    for (const c of [...onA, onB, other]) assert.deepEqual(broadcasts(c), []);
    for (const i of [a, b]) assert.equal(i.live.monitor.stats().feed?.ready, true);
  });

  test("closed clients leave the stats; the system is no longer watched", async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const i of [a, b]) {
      const res = await i.call("GET", "/ws/monitoring", { role: "viewer" });
      assert.deepEqual([res.body.total_connections, res.body.systems], [0, []]);
    }
  });
});
