// Keys scoped to sites, walked over the whole API: two sites A and B with the same hierarchy, an admin key scoped to A,
// and every operation of the OpenAPI document. A read of B's records answers 404 and a list or query shows nothing of
// B; the same read of A's answers 200; every write aimed at B (or at A but naming B) is refused and B is unchanged
// after all of them. The table below must name exactly the document's operations, so a new route fails this test
// until it says what a scoped key gets. The live feed: a scoped key's upgrade to B's system is a 404, to A's a snapshot.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import WebSocket, { WebSocketServer } from "ws";
import { createApiKey } from "../../../api/auth/keys.ts";
import { HealthMonitor } from "../../../api/health.ts";
import { LiveMonitor } from "../../../api/ws/monitor.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { createLogger } from "../../../ground/logger.ts";
import { config } from "../../support/stack.ts";
import { type Call, type Harness, harness } from "./support.ts";

type Body = Record<string, unknown>;
type Site = "a" | "b";

/** One site's records: path parameter name → its id, and the numbers of body fields that name them. */
interface Fixture {
  site: string;
  params: Record<string, string | number>;
  devices: { inv: string; met: string; bat: string };
  moduleId: number;
}

let h: Harness;
/** The app under test, with a health probe and a live monitor this file stops. */
let app: Hono;
let call: Call;
let health: HealthMonitor;
let monitoring: LiveMonitor;
let scopedKey: string;
const fx = {} as Record<Site, Fixture>;
/** Every string of B's records contains this; nothing of A's does. */
let bMarker: string;
const FROM = "2024-11-01T00:00:00Z";
const TO = "2024-11-03T00:00:00Z";

async function post(path: string, body: Body): Promise<Body> {
  const r = await h.call("POST", path, { body });
  assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A site with a system, arrays, an inverter, a pack, a meter, their devices, a module, a tariff, tickets, charging. */
async function seed(x: Site): Promise<Fixture> {
  const site = `${h.tag}-${x}`;
  await post("/api/v1/sites", { id: site, name: site, timezone: "Europe/Berlin" });
  const system = (await post("/api/v1/systems", { site_id: site, key: `${site}-sys` })).id as number;
  const devices = { inv: `${site}-inv`, met: `${site}-met`, bat: `${site}-bat` };
  // One device group across both sites: analytics must count only the scope's devices.
  for (const [kind, id] of [
    ["inverter", devices.inv],
    ["meter", devices.met],
    ["battery", devices.bat],
  ] as const)
    await post("/api/v1/devices", {
      device_id: id,
      site_id: site,
      kind,
      system_id: system,
      group_name: h.tag,
    });
  const ia = (await post("/api/v1/inverter-arrays", { system_id: system, key: `${site}-ia` })).id as number;
  const inverter = (
    await post("/api/v1/inverters", {
      system_id: system,
      inverter_array_id: ia,
      key: `${site}-inv`,
      device_id: devices.inv,
    })
  ).id as number;
  const ba = (
    await post("/api/v1/battery-arrays", { system_id: system, key: `${site}-ba`, attached_to: [ia] })
  ).id as number;
  const pack = (
    await post("/api/v1/battery-packs", {
      system_id: system,
      battery_array_id: ba,
      key: `${site}-pack`,
      device_id: devices.bat,
    })
  ).id as number;
  const meter = (
    await post("/api/v1/meters", { system_id: system, key: `${site}-met`, device_id: devices.met })
  ).id as number;
  const moduleId = (
    await post("/api/v1/communication-modules", { site_id: site, hopecloud_id: `${site}-hc` })
  ).id as number;
  const cost = (
    await post("/api/v1/cost-versions", {
      scope: "site",
      scope_id: site,
      cost_per_kwh: 0.3,
      currency: "EUR",
      effective_from: "2000-01-01T00:00:00Z",
      note: site,
    })
  ).id as number;
  const one = async (sql: string, values: unknown[]) =>
    ((await h.pool.query<{ id: number }>(sql, values)).rows[0]?.id ?? 0) as number;
  const ticket = await one(
    "INSERT INTO review_tickets (device_id, kind, dedupe_key) VALUES ($1, 'scope_test', $2) RETURNING id::int",
    [devices.inv, `${site}-ticket`],
  );
  await one(
    `INSERT INTO review_tickets (kind, dedupe_key, details) VALUES ('group_mismatch', $1, $2) RETURNING id::int`,
    [`${site}-group`, { site_id: site }],
  );
  const station = await one(
    "INSERT INTO charging_stations (external_id, name, site_id) VALUES ($1, $2, $3) RETURNING id::int",
    [`${site}-cs`, `${site}-cs`, site],
  );
  const point = await one(
    "INSERT INTO charging_points (station_id, point_number) VALUES ($1, 1) RETURNING id::int",
    [station],
  );
  await h.pool.query(
    "INSERT INTO meter_replacements (device_id, ts, new_initial_wh_total, recorded_by) VALUES ($1, now(), 0, $2)",
    [devices.met, site],
  );
  const job = await one(
    `INSERT INTO job_runs (job, status, finished_at, summary) VALUES ('ledger.replay', 'succeeded', now(), $1)
     RETURNING id::int`,
    [{ devices: [devices.inv], requested_by: site }],
  );
  const key = await createApiKey(h.pool, `${site}-key`, "viewer", [site]);
  return {
    site,
    devices,
    moduleId,
    params: {
      site_id: site,
      device_id: devices.met,
      system_id: system,
      inverter_array_id: ia,
      inverter_id: inverter,
      battery_array_id: ba,
      battery_pack_id: pack,
      meter_id: meter,
      module_id: moduleId,
      cost_version_id: cost,
      ticket_id: ticket,
      station_id: station,
      point_id: point,
      id: job,
      api_key_id: key.id,
    },
  };
}

/** Body fields holding a number that names a record: B's numbers there are B's records. */
const NUMBER_FIELDS = [
  "system_id",
  "inverter_array_id",
  "inverter_id",
  "battery_array_id",
  "battery_pack_id",
  "meter_id",
  "station_id",
];

/** What of B a JSON body holds: strings with B's marker, numbered references to B's records. */
function leaks(value: unknown, field = ""): string[] {
  if (typeof value === "string") return value.includes(bMarker) ? [value] : [];
  if (typeof value === "number")
    return NUMBER_FIELDS.includes(field) && fx.b.params[field] === value ? [`${field}=${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((v) => leaks(v, field));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => leaks(v, k === "attached_to" ? "inverter_array_id" : k));
  return [];
}

/** A path of the document with its {parameters} taken from one site's records. */
const pathOf = (template: string, x: Site) =>
  template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const id = fx[x].params[name];
    assert.ok(id !== undefined, `no ${name} in the fixture`);
    return encodeURIComponent(String(id));
  });

type Write = { on: Site; body?: (x: Record<Site, Fixture>) => Body; status: number };
type Case =
  /** GET of one record: B's is 404, A's 200. */
  | { kind: "read" }
  /** GET of a list: nothing of B, also filtered by B's ids. */
  | { kind: "list" }
  /** GET with query parameters: B's 404, A's 200 without anything of B. */
  | { kind: "query"; a: (x: Record<Site, Fixture>) => string[]; b: (x: Record<Site, Fixture>) => string[] }
  /** Only unscoped keys: 403. */
  | { kind: "unscoped" }
  /** Nothing of any site: answered, without anything of B. */
  | { kind: "open" }
  /** The live feed's upgrade: its own test below. */
  | { kind: "ws" }
  | { kind: "write"; writes: Write[] };

const energy = (site: Site) => (x: Record<Site, Fixture>) => {
  const p = x[site].params;
  return [
    `scope=device&id=${x[site].devices.inv}`,
    `scope=site&id=${p.site_id}`,
    `scope=system&id=${p.system_id}`,
    `scope=array&id=${p.inverter_array_id}`,
  ].map((q) => `${q}&from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`);
};
const analytics = {
  kind: "query" as const,
  a: () => [`group=${h.tag}&date=2024-11-01`],
  b: (x: Record<Site, Fixture>) => [`group=${h.tag}&date=2024-11-01&site_id=${x.b.site}`],
};
const refused = (status: number, body?: Write["body"]): Write => ({
  on: "b",
  status,
  ...(body ? { body } : {}),
});
const update = (body: Body): Case => ({ kind: "write", writes: [refused(404, () => body)] });
const remove: Case = { kind: "write", writes: [refused(404)] };
const created = (make: (x: Record<Site, Fixture>) => Body): Case => ({
  kind: "write",
  writes: [refused(404, make), { on: "a", status: 201, body: (x) => make({ ...x, b: x.a }) }],
});
const key = (x: Fixture, name: string) => `${x.site}-${name}`;

/** Every operation of the API and what a key scoped to A gets from it. */
const CASES: Record<string, Case> = {
  getLiveness: { kind: "open" },
  getHealthReport: { kind: "unscoped" },
  listSites: { kind: "list" },
  getSite: { kind: "read" },
  createSite: {
    kind: "write",
    writes: [refused(403, (x) => ({ id: key(x.b, "new"), name: "n", timezone: "UTC" }))],
  },
  updateSite: update({ name: "changed" }),
  listDevices: { kind: "list" },
  getDevice: { kind: "read" },
  createDevice: created((x) => ({ device_id: key(x.b, "new"), site_id: x.b.site, kind: "other" })),
  updateDevice: {
    kind: "write",
    writes: [
      refused(404, () => ({ group_name: "changed" })),
      // A's device moved to B's system: refused as if that system did not exist.
      { on: "a", status: 404, body: (x) => ({ system_id: x.b.params.system_id }) },
    ],
  },
  listSystems: { kind: "list" },
  getSystem: { kind: "read" },
  createSystem: created((x) => ({ site_id: x.b.site, key: key(x.b, "new") })),
  updateSystem: update({ name: "changed" }),
  deleteSystem: remove,
  getSystemNow: { kind: "read" },
  listInverterArrays: { kind: "list" },
  getInverterArray: { kind: "read" },
  createInverterArray: created((x) => ({ system_id: x.b.params.system_id, key: key(x.b, "new") })),
  updateInverterArray: update({ name: "changed" }),
  deleteInverterArray: remove,
  getInverterArrayNow: { kind: "read" },
  listInverters: { kind: "list" },
  getInverter: { kind: "read" },
  createInverter: created((x) => ({
    system_id: x.b.params.system_id,
    inverter_array_id: x.b.params.inverter_array_id,
    key: key(x.b, "new"),
  })),
  updateInverter: update({ name: "changed" }),
  deleteInverter: remove,
  getInverterNow: { kind: "read" },
  listBatteryArrays: { kind: "list" },
  getBatteryArray: { kind: "read" },
  createBatteryArray: created((x) => ({ system_id: x.b.params.system_id, key: key(x.b, "new") })),
  updateBatteryArray: {
    kind: "write",
    writes: [
      refused(404, () => ({ name: "changed" })),
      { on: "a", status: 404, body: (x) => ({ attached_to: [x.b.params.inverter_array_id] }) },
    ],
  },
  deleteBatteryArray: remove,
  getBatteryArrayNow: { kind: "read" },
  listBatteryPacks: { kind: "list" },
  getBatteryPack: { kind: "read" },
  createBatteryPack: created((x) => ({
    system_id: x.b.params.system_id,
    battery_array_id: x.b.params.battery_array_id,
    key: key(x.b, "new"),
  })),
  updateBatteryPack: update({ name: "changed" }),
  deleteBatteryPack: remove,
  getBatteryPackNow: { kind: "read" },
  listMeters: { kind: "list" },
  getMeter: { kind: "read" },
  createMeter: created((x) => ({ system_id: x.b.params.system_id, key: key(x.b, "new") })),
  updateMeter: update({ name: "changed" }),
  deleteMeter: remove,
  getMeterNow: { kind: "read" },
  // A's side would publish to the telemetry topic: only B's refusal is walked.
  recordMeterReplacement: {
    kind: "write",
    writes: [
      refused(404, () => ({ ts: new Date(Date.now() - 3_600_000).toISOString(), new_initial_wh_total: 0 })),
    ],
  },
  listMeterReplacements: { kind: "read" },
  listCommunicationModules: { kind: "list" },
  getCommunicationModule: { kind: "read" },
  createCommunicationModule: created((x) => ({ site_id: x.b.site, hopecloud_id: key(x.b, "new-hc") })),
  updateCommunicationModule: {
    kind: "write",
    writes: [
      refused(404, () => ({ name: "changed" })),
      { on: "a", status: 404, body: (x) => ({ site_id: x.b.site }) },
    ],
  },
  deleteCommunicationModule: remove,
  listCostVersions: { kind: "list" },
  getCostVersion: { kind: "read" },
  createCostVersion: {
    kind: "write",
    writes: [
      refused(404, (x) => ({
        scope: "site",
        scope_id: x.b.site,
        cost_per_kwh: 1,
        currency: "EUR",
        effective_from: FROM,
      })),
      refused(404, (x) => ({
        scope: "device",
        scope_id: x.b.devices.inv,
        cost_per_kwh: 1,
        currency: "EUR",
        effective_from: FROM,
      })),
      refused(403, () => ({ scope: "global", cost_per_kwh: 1, currency: "EUR", effective_from: FROM })),
    ],
  },
  listReviewTickets: { kind: "list" },
  getReviewTicket: { kind: "read" },
  resolveReviewTicket: { kind: "write", writes: [refused(404), { on: "a", status: 200 }] },
  listChargingStations: { kind: "list" },
  getChargingStation: { kind: "read" },
  listChargingPoints: { kind: "list" },
  getChargingPoint: { kind: "read" },
  getEnergyHourly: { kind: "query", a: energy("a"), b: energy("b") },
  getEnergyDaily: { kind: "query", a: energy("a"), b: energy("b") },
  getAnalyticsSummary: analytics,
  getAnalyticsTimeline: analytics,
  // A's side would start a replay of the telemetry topic: only refusals are walked.
  startRecalculation: {
    kind: "write",
    writes: [
      refused(404, (x) => ({ from: FROM, to: TO, devices: [x.b.devices.inv], dry_run: true })),
      refused(403, () => ({ from: FROM, to: TO, dry_run: true })),
    ],
  },
  getJob: { kind: "read" },
  syncCommunicationModules: { kind: "write", writes: [refused(404, (x) => ({ site_ids: [x.b.site] }))] },
  monitorSystem: { kind: "ws" },
  getMonitoringStats: { kind: "unscoped" },
  broadcastMonitoring: {
    kind: "write",
    writes: [
      refused(404, (x) => ({ system_id: x.b.params.system_id, message: "to B" })),
      refused(403, () => ({ message: "to everyone" })),
    ],
  },
  listApiKeys: { kind: "list" },
  createApiKey: {
    kind: "write",
    writes: [
      refused(404, (x) => ({ name: key(x.b, "made"), role: "viewer", sites: [x.b.site] })),
      refused(404, (x) => ({ name: key(x.b, "made"), role: "viewer", sites: [x.a.site, x.b.site] })),
      refused(403, (x) => ({ name: key(x.b, "made"), role: "viewer" })),
      { on: "a", status: 201, body: (x) => ({ name: key(x.a, "made"), role: "viewer", sites: [x.a.site] }) },
    ],
  },
  revokeApiKey: { kind: "write", writes: [refused(404)] },
  getSession: { kind: "open" },
  getWebAppPage: { kind: "open" },
  getWebAppPageSlash: { kind: "open" },
  getWebAppAsset: { kind: "open" },
  getOpenApiDocument: { kind: "open" },
  getDocsPage: { kind: "open" },
  getMetrics: { kind: "unscoped" },
};

/** Query values of B's records for the list filters that name a site's records. */
const FILTERS: Record<string, (b: Fixture) => string | number> = {
  site_id: (b) => b.site,
  system_id: (b) => b.params.system_id as number,
  inverter_array_id: (b) => b.params.inverter_array_id as number,
  battery_array_id: (b) => b.params.battery_array_id as number,
  station_id: (b) => b.params.station_id as number,
  device_id: (b) => b.devices.inv,
  scope_id: (b) => b.site,
  hopecloud_id: (b) => `${b.site}-hc`,
};

interface Operation {
  id: string;
  method: string;
  path: string;
  query: string[];
}

let operations: Operation[];

before(async () => {
  h = await harness("scope");
  health = new HealthMonitor({
    kafka: createKafka(config),
    questdb: h.questdb,
    postgres: h.pool,
    mqttConnected: () => true,
  });
  monitoring = new LiveMonitor({
    postgres: h.pool,
    questdb: h.questdb,
    logger: createLogger("test", "silent"),
  });
  app = h.makeApp({ health, monitoring });
  call = h.caller(app);
  bMarker = `${h.tag}-b`;
  fx.a = await seed("a");
  fx.b = await seed("b");
  scopedKey = (await createApiKey(h.pool, `${h.tag}-scoped-admin`, "admin", [fx.a.site])).key;
  const doc = await call("GET", "/openapi.json", { key: scopedKey });
  assert.equal(doc.status, 200);
  const paths = doc.body.paths as Record<
    string,
    Record<string, { operationId: string; parameters?: Body[] }>
  >;
  operations = Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      id: op.operationId,
      method: method.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name as string),
    })),
  );
});

after(async () => {
  await Promise.all([health.stop(), monitoring.stop()]);
  await h.pool.query("DELETE FROM job_runs WHERE summary->>'requested_by' LIKE $1", [`${h.tag}%`]);
  await h.close();
});

const scoped = (method: string, path: string, body?: Body) =>
  call(method, path, { key: scopedKey, ...(body ? { body } : {}) });

test("the table names every operation of the document, and only those", () => {
  assert.deepEqual(operations.map((o) => o.id).sort(), Object.keys(CASES).sort());
});

test("reads: B's records are 404, A's 200; lists and queries show nothing of B", async () => {
  for (const op of operations) {
    const c = CASES[op.id];
    const where = `${op.method} ${op.path} (${op.id})`;
    if (c?.kind === "read") {
      const b = await scoped("GET", pathOf(op.path, "b"));
      assert.equal(b.status, 404, `${where} with B's ids: ${JSON.stringify(b.body)}`);
      const a = await scoped("GET", pathOf(op.path, "a"));
      assert.equal(a.status, 200, `${where} with A's ids: ${JSON.stringify(a.body)}`);
      assert.deepEqual(leaks(a.body), [], where);
    } else if (c?.kind === "list") {
      const all = await scoped("GET", op.path);
      assert.equal(all.status, 200, where);
      assert.ok((all.body.items as unknown[]).length > 0, `${where}: A's records are listed`);
      assert.deepEqual(leaks(all.body), [], where);
      for (const name of op.query.filter((q) => FILTERS[q])) {
        const value = (FILTERS[name] as (b: Fixture) => string | number)(fx.b);
        const filtered = await scoped("GET", `${op.path}?${name}=${encodeURIComponent(value)}`);
        assert.equal(filtered.status, 200, `${where} ?${name}`);
        assert.deepEqual(filtered.body.items, [], `${where} ?${name}=B's`);
      }
    } else if (c?.kind === "query") {
      for (const q of c.b(fx)) {
        const b = await scoped("GET", `${op.path}?${q}`);
        assert.equal(b.status, 404, `${where}?${q}: ${JSON.stringify(b.body)}`);
      }
      for (const q of c.a(fx)) {
        const a = await scoped("GET", `${op.path}?${q}`);
        assert.equal(a.status, 200, `${where}?${q}: ${JSON.stringify(a.body)}`);
        assert.deepEqual(leaks(a.body), [], `${where}?${q}`);
      }
    } else if (c?.kind === "unscoped") {
      const r = await scoped(op.method, op.path);
      assert.equal(r.status, 403, where);
      assert.equal(r.status === 403 && (r.body.error as Body).code, "forbidden");
    } else if (c?.kind === "open") {
      const r = await scoped(op.method, pathOf(op.path.replace("{name}", "app.js"), "a"));
      assert.ok(r.status === 200 || r.status === 503, `${where}: ${r.status}`);
      assert.deepEqual(leaks(r.body), [], where);
    }
  }
});

test("analytics of a group spanning both sites count A's devices only", async () => {
  const r = await scoped("GET", `/api/v1/analytics/summary?group=${h.tag}&date=2024-11-01`);
  assert.equal(r.body.devices, 3);
  assert.deepEqual(r.body.silent_devices, Object.values(fx.a.devices).sort());
});

test("writes: every one aimed at B is refused, and B is as it was", async () => {
  const unscopedView = () =>
    Promise.all(
      operations
        // The /now views carry the time of the answer.
        .filter((o) => CASES[o.id]?.kind === "read" && !o.path.endsWith("/now"))
        .map(async (o) => (await h.call("GET", pathOf(o.path, "b"))).body),
    );
  const before = await unscopedView();
  for (const op of operations) {
    const c = CASES[op.id];
    if (c?.kind !== "write") continue;
    for (const w of c.writes) {
      const r = await scoped(op.method, pathOf(op.path, w.on), w.body?.(fx));
      assert.equal(
        r.status,
        w.status,
        `${op.method} ${op.path} (${op.id}) on ${w.on}: ${JSON.stringify(r.body)}`,
      );
      // An error may quote the request; a record must not come back.
      if (w.status < 400) assert.deepEqual(leaks(r.body), [], op.id);
    }
  }
  assert.deepEqual(await unscopedView(), before);
});

test("keys: a scoped admin lists only keys within its sites; the listing and the session show sites", async () => {
  const listed = await scoped("GET", "/api/v1/api-keys?limit=500");
  const items = listed.body.items as Body[];
  assert.ok(
    items.every((k) => Array.isArray(k.sites) && (k.sites as string[]).every((s) => s === fx.a.site)),
  );
  assert.ok(items.some((k) => k.name === `${h.tag}-scoped-admin`));
  const all = await h.call("GET", "/api/v1/api-keys?limit=500");
  const b = (all.body.items as Body[]).find((k) => k.id === fx.b.params.api_key_id);
  assert.deepEqual(b?.sites, [fx.b.site]);
  assert.deepEqual((await scoped("GET", "/api/v1/session")).body.sites, [fx.a.site]);
  assert.equal((await h.call("GET", "/api/v1/session")).body.sites, null);
});

test("keys: an unknown site is a 400 for an unscoped admin", async () => {
  const r = await h.call("POST", "/api/v1/api-keys", {
    body: { name: `${h.tag}-x`, role: "viewer", sites: [`${h.tag}-nowhere`] },
  });
  assert.equal(r.status, 400);
  assert.equal((r.body.error as Body).code, "invalid_reference");
});

test("CLI: apikey create --site (repeatable) scopes the key; an unknown site creates nothing", async () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ["bin/wattline.js", "apikey", ...args], { cwd: process.cwd() });
  const made = await cli(
    "create",
    "--name",
    `${h.tag}-cli`,
    "--role",
    "viewer",
    "--site",
    fx.a.site,
    "--site",
    fx.b.site,
  );
  const key = made.stdout.trim();
  assert.deepEqual((await call("GET", "/api/v1/session", { key })).body.sites, [fx.a.site, fx.b.site].sort());
  await assert.rejects(
    cli("create", "--name", `${h.tag}-cli-unknown`, "--role", "viewer", "--site", `${h.tag}-nowhere`),
    (e: { stderr: string }) => e.stderr.includes(`no such site: ${h.tag}-nowhere`),
  );
  const named = await h.pool.query("SELECT 1 FROM api_keys WHERE name = $1", [`${h.tag}-cli-unknown`]);
  assert.equal(named.rowCount, 0);
});

test("live feed: a scoped key's upgrade to B's system is a 404; to A's, a snapshot of A", async () => {
  const wss = new WebSocketServer({ noServer: true });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1", websocket: { server: wss } }, () =>
      resolve(s as Server),
    );
  });
  const url = (x: Site) =>
    `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws/monitoring/${fx[x].params.system_id}`;
  const headers = { Authorization: `Bearer ${scopedKey}` };
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(url("b"), { headers });
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => reject(new Error("a scoped key watches B's system")));
    });
    assert.equal(status, 404);
    const snapshot = await new Promise<Body>((resolve, reject) => {
      const ws = new WebSocket(url("a"), { headers });
      ws.once("message", (data) => {
        resolve(JSON.parse(String(data)) as Body);
        ws.close();
      });
      ws.once("error", reject);
    });
    assert.equal(snapshot.type, "snapshot");
    assert.equal((snapshot.data as Body).site_id, fx.a.site);
    assert.deepEqual(leaks(snapshot), []);
  } finally {
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
