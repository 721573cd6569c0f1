// The energy, analytics, recalculation, job and HopeCloud sync routes against the real registry, QuestDB, Kafka and
// a simulated HopeCloud: rows seeded through the energy core, numbers checked exactly, groups summed by QuestDB.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { HopeCloudClient } from "../../../connectors/hopecloud/client/client.ts";
import {
  type HopeCloudSimulator,
  startHopeCloudSimulator,
} from "../../../connectors/hopecloud/simulator/server.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { ensureTopics, TOPICS } from "../../../ground/topics.ts";
import type { CostVersion } from "../../../pipelines/core/cost.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { reading, rowCounts, seedLedger, waitForRows } from "../../support/ledger-seed.ts";
import { eventually } from "../../support/processors.ts";
import { config } from "../../support/stack.ts";
import { type Call, type Harness, harness, INJECTIONS, tablesIntact } from "./support.ts";

type Body = Record<string, unknown>;
type Row = Record<string, unknown>;

let h: Harness;
let site: string;
let otherSite: string;
let systemId: number;
let arrayA: number;
let arrayB: number;
let d1: string;
let d2: string;
let d3: string;
let d4: string;
const GROUP = "CSE-301";

const ok = async (p: Promise<{ status: number; body: Body }>, status = 200): Promise<Body> => {
  const res = await p;
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
};

const issuePaths = (body: Body) =>
  ((body.error as { details: { issues: { path: string }[] } }).details.issues ?? []).map((i) => i.path);

const close = (a: unknown, b: number) =>
  assert.ok(typeof a === "number" && Math.abs(a - b) < 1e-9, `${a} is not ${b}`);

/** Kolkata, 2024-11-05 (seed 004's date): local midnight is 18:30Z the day before. */
const at = (local: string) => `2024-11-05T${local}:00+05:30`;

before(async () => {
  h = await harness("energy");
  site = `${h.tag}-site`;
  otherSite = `${h.tag}-other`;
  [d1, d2, d3, d4] = ["inv-1", "inv-2", "meter", "far"].map((n) => `${h.tag}-${n}`) as [
    string,
    string,
    string,
    string,
  ];
  await ok(
    h.call("POST", "/api/v1/sites", { body: { id: site, name: "School", timezone: "Asia/Kolkata" } }),
    201,
  );
  await ok(h.call("POST", "/api/v1/sites", { body: { id: otherSite, name: "Far", timezone: "UTC" } }), 201);
  systemId = (await ok(h.call("POST", "/api/v1/systems", { body: { site_id: site, key: "roof" } }), 201))
    .id as number;
  const array = async (key: string) =>
    (await ok(h.call("POST", "/api/v1/inverter-arrays", { body: { system_id: systemId, key } }), 201))
      .id as number;
  [arrayA, arrayB] = [await array("a"), await array("b")];
  const device = (device_id: string, extra: Body) =>
    ok(h.call("POST", "/api/v1/devices", { body: { device_id, group_name: GROUP, ...extra } }), 201);
  const kolkata = { site_id: site, timezone: "Asia/Kolkata" };
  await device(d1, { ...kolkata, kind: "inverter", system_id: systemId, expected_interval_s: 3600 });
  await device(d2, { ...kolkata, kind: "inverter", system_id: systemId });
  await device(d3, { ...kolkata, kind: "meter" });
  await device(d4, { site_id: otherSite, kind: "meter" });
  for (const [key, inverter_array_id, device_id] of [
    ["i1", arrayA, d1],
    ["i2", arrayB, d2],
  ] as const)
    await ok(
      h.call("POST", "/api/v1/inverters", {
        body: { system_id: systemId, inverter_array_id, key, device_id },
      }),
      201,
    );

  const inr: CostVersion = {
    cost_per_kwh: 7.5,
    currency: "INR",
    effective_from: Date.parse("2024-01-01T00:00:00Z"),
    scope: { kind: "site", site_id: site },
  };
  const settings = (device_id: string, extra = {}) => ({ device_id, timezone: "Asia/Kolkata", ...extra });
  const rows = await seedLedger(
    [
      {
        site_id: site,
        energy_system_id: systemId,
        array_id: arrayA,
        settings: settings(d1, { expected_interval_s: 3600 }),
        readings: [
          reading(d1, at("00:00"), 0),
          reading(d1, at("01:00"), 1000),
          reading(d1, at("02:00"), 3000),
        ],
      },
      {
        // 1000 Wh, then a reset at 02:00 (the new counter's 100 Wh count) and 300 Wh: 1400 Wh, one reset.
        site_id: site,
        energy_system_id: systemId,
        array_id: arrayB,
        settings: settings(d2),
        readings: [
          reading(d2, at("00:00"), 500),
          reading(d2, at("01:00"), 1500),
          reading(d2, at("02:00"), 100),
          reading(d2, at("03:00"), 400),
        ],
      },
      {
        // 800 Wh over four hours: 200 Wh in each.
        site_id: site,
        settings: settings(d3),
        readings: [reading(d3, at("00:00"), 0), reading(d3, at("04:00"), 800)],
      },
    ],
    [inr],
  );
  await waitForRows(h.questdb, [d1, d2, d3], rowCounts(rows));
});

after(async () => {
  await h.pool.query("DELETE FROM job_runs WHERE summary->>'requested_by' LIKE $1", [`${h.tag}%`]);
  await h.close();
});

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
const hourly = (params: Record<string, string>, opts = {}) =>
  h.call("GET", `/api/v1/energy/hourly?${query(params)}`, { role: "viewer", ...opts });
const daily = (params: Record<string, string>, opts = {}) =>
  h.call("GET", `/api/v1/energy/daily?${query(params)}`, { role: "viewer", ...opts });
const day = { from: at("00:00"), to: "2024-11-06T00:00:00+05:30" };
const hoursOf = (body: Body) =>
  (body.rows as Row[]).map((r) => [r.local_time, r.energy_wh, r.devices, r.confidence]);

describe("GET /api/v1/energy/hourly", () => {
  test("a device: its hours on its own clock, priced", async () => {
    const body = await ok(hourly({ scope: "device", id: d1, ...day }));
    assert.equal(body.timezone, "Asia/Kolkata");
    assert.equal(body.devices, 1);
    assert.equal(body.from, "2024-11-04T18:30:00.000Z");
    assert.deepEqual(body.rows, [
      {
        hour_start: "2024-11-04T18:30:00.000Z",
        local_time: "2024-11-05T00:00:00+05:30",
        energy_wh: 1000,
        cost: 7.5,
        currency: "INR",
        confidence: "high",
        devices: 1,
      },
      {
        hour_start: "2024-11-04T19:30:00.000Z",
        local_time: "2024-11-05T01:00:00+05:30",
        energy_wh: 2000,
        cost: 15,
        currency: "INR",
        confidence: "high",
        devices: 1,
      },
    ]);
  });

  test("a site, a system and an inverter array: QuestDB's sums over their devices", async () => {
    const siteBody = await ok(hourly({ scope: "site", id: site, ...day }));
    assert.equal(siteBody.devices, 3);
    assert.deepEqual(hoursOf(siteBody), [
      ["2024-11-05T00:00:00+05:30", 2200, 3, "medium"],
      ["2024-11-05T01:00:00+05:30", 2300, 3, "low"],
      ["2024-11-05T02:00:00+05:30", 500, 2, "medium"],
      ["2024-11-05T03:00:00+05:30", 200, 1, "medium"],
    ]);
    close((siteBody.rows as Row[])[1]?.cost, 2.3 * 7.5);
    const system = await ok(hourly({ scope: "system", id: String(systemId), ...day }));
    assert.equal(system.devices, 2);
    assert.deepEqual(hoursOf(system), [
      ["2024-11-05T00:00:00+05:30", 2000, 2, "medium"],
      ["2024-11-05T01:00:00+05:30", 2100, 2, "low"],
      ["2024-11-05T02:00:00+05:30", 300, 1, "medium"],
    ]);
    const a = await ok(hourly({ scope: "array", id: String(arrayA), ...day }));
    assert.deepEqual(
      hoursOf(a),
      [1000, 2000].map((wh, i) => [`2024-11-05T0${i}:00:00+05:30`, wh, 1, "high"]),
    );
    const b = await ok(hourly({ scope: "array", id: String(arrayB), ...day }));
    assert.deepEqual(
      (b.rows as Row[]).map((r) => r.energy_wh),
      [1000, 100, 300],
    );
  });

  test("[from, to) selects hours by their start; a group without devices has no rows", async () => {
    const body = await ok(hourly({ scope: "site", id: site, from: at("01:00"), to: at("03:00") }));
    assert.deepEqual(
      (body.rows as Row[]).map((r) => r.energy_wh),
      [2300, 500],
    );
    const empty = await ok(hourly({ scope: "site", id: otherSite, ...day }));
    assert.deepEqual([empty.devices, empty.rows], [1, []]);
  });

  test("400 naming the parameter: missing, unknown, malformed, without offset, reversed, too long", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ id: site, ...day }, "query.scope"],
      [{ scope: "planet", id: site, ...day }, "query.scope"],
      [{ scope: "system", id: "roof", ...day }, "query.id"],
      [{ scope: "site", id: "bad id", ...day }, "query.id"],
      [{ scope: "site", id: site, from: "2024-11-05T00:00:00", to: day.to }, "query.from"],
      [{ scope: "site", id: site, from: "yesterday", to: day.to }, "query.from"],
      [{ scope: "site", id: site, from: day.to, to: day.from }, "query.to"],
      [{ scope: "site", id: site, from: day.from, to: "2024-12-07T00:00:00Z" }, "query.to"],
      [{ scope: "site", id: site, ...day, extra: "1" }, "query"],
    ];
    for (const [params, path] of cases) {
      const res = await hourly(params);
      assert.equal(res.status, 400, JSON.stringify(params));
      assert.ok(
        issuePaths(res.body).some((p) => p.startsWith(path)),
        `${JSON.stringify(params)}: ${issuePaths(res.body)}`,
      );
    }
  });

  test("404 for a node the registry does not know", async () => {
    for (const [scope, id] of [
      ["site", `${h.tag}-nope`],
      ["device", `${h.tag}-nope`],
      ["system", "999999999999"],
      ["array", "999999999999"],
    ] as const) {
      const res = await hourly({ scope, id, ...day });
      assert.equal(res.status, 404, `${scope} ${id}`);
      assert.equal((res.body.error as Body).code, "not_found");
    }
  });
});

describe("GET /api/v1/energy/daily", () => {
  test("a site's local days: energy, cost, resets and device-hours summed over its devices", async () => {
    const november = { from: "2024-11-01T00:00:00+05:30", to: "2024-12-01T00:00:00+05:30" };
    const body = await ok(daily({ scope: "site", id: site, ...november }));
    assert.equal(body.timezone, "Asia/Kolkata");
    const [only, ...rest] = body.rows as Row[];
    assert.deepEqual(rest, []);
    assert.ok(only);
    close(only.cost, 39);
    assert.deepEqual(
      { ...only, cost: 39 },
      {
        date: "2024-11-05",
        energy_wh: 5200,
        cost: 39,
        currency: "INR",
        resets: 1,
        hours: 9,
        confidence: "low",
        devices: 3,
      },
    );
    const device = await ok(daily({ scope: "device", id: d2, ...november }));
    assert.deepEqual(
      (device.rows as Row[]).map((r) => [r.date, r.energy_wh, r.resets, r.hours]),
      [["2024-11-05", 1400, 1, 3]],
    );
  });

  test("days are those starting in [from, to), in the site's zone", async () => {
    const fromMidnightUtc = await ok(
      daily({ scope: "site", id: site, from: "2024-11-04T18:30:00Z", to: "2024-11-05T18:30:00Z" }),
    );
    assert.deepEqual(
      (fromMidnightUtc.rows as Row[]).map((r) => r.date),
      ["2024-11-05"],
    );
    const fromNoon = await ok(
      daily({ scope: "site", id: site, from: at("12:00"), to: "2024-11-30T00:00:00Z" }),
    );
    assert.deepEqual(fromNoon.rows, []);
  });

  test("400 for a range over a year; 401 without a key", async () => {
    const long = await daily({
      scope: "site",
      id: site,
      from: "2024-01-01T00:00:00Z",
      to: "2025-01-02T00:00:00Z",
    });
    assert.equal(long.status, 400);
    assert.deepEqual(issuePaths(long.body), ["query.to"]);
    const year = await daily({
      scope: "site",
      id: site,
      from: "2024-01-01T00:00:00Z",
      to: "2025-01-01T00:00:00Z",
    });
    assert.equal(year.status, 200);
    for (const path of ["/api/v1/energy/daily", "/api/v1/energy/hourly"]) {
      const res = await h.call("GET", `${path}?${query({ scope: "site", id: site, ...day })}`, { key: null });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="wattline"');
    }
  });
});

test("a group's devices are reused for the cache TTL: a device added counts once it has passed", async () => {
  const cacheSite = `${h.tag}-cache`;
  await ok(h.call("POST", "/api/v1/sites", { body: { id: cacheSite, name: "Cache", timezone: "UTC" } }), 201);
  const add = (name: string) =>
    ok(
      h.call("POST", "/api/v1/devices", {
        body: { device_id: `${cacheSite}-${name}`, site_id: cacheSite, kind: "meter" },
      }),
      201,
    );
  const withTtl = (cacheTtlMs: number) =>
    h.caller(h.makeApp({ config: { ...config, api: { ...config.api, cacheTtlMs } } }));
  const devices = async (call: Call) =>
    (await ok(call("GET", `/api/v1/energy/daily?${query({ scope: "site", id: cacheSite, ...day })}`)))
      .devices;
  await add("a");
  const cached = withTtl(2000);
  assert.equal(await devices(cached), 1);
  await add("b");
  assert.equal(await devices(withTtl(0)), 2);
  assert.equal(await devices(cached), 1, "within the TTL");
  await new Promise((resolve) => setTimeout(resolve, 2100));
  assert.equal(await devices(cached), 2, "after the TTL");
});

describe("GET /api/v1/analytics/summary and /timeline", () => {
  const params = (extra: Record<string, string> = {}) =>
    query({ group: GROUP, date: "2024-11-05", ...extra });

  test("summary: the group's total, cost, peak hour and each device, silent devices named", async () => {
    const body = await ok(h.call("GET", `/api/v1/analytics/summary?${params()}`, { role: "viewer" }));
    close(body.cost, 39);
    const perDevice = (body.per_device as Row[]).map((d) => [d.device_id, d.energy_wh, d.resets, d.hours]);
    assert.deepEqual(perDevice, [
      [d1, 3000, 0, 2],
      [d2, 1400, 1, 3],
      [d3, 800, 0, 4],
    ]);
    close((body.per_device as Row[])[0]?.cost, 22.5);
    assert.deepEqual(
      { ...body, cost: 39, per_device: [] },
      {
        group: GROUP,
        site_id: null,
        date: "2024-11-05",
        // d4 counts its days in UTC: the group has no single zone.
        timezone: "UTC",
        devices: 4,
        reporting_devices: 3,
        energy_wh: 5200,
        cost: 39,
        currency: "INR",
        resets: 1,
        confidence: "low",
        peak_hour: {
          hour_start: "2024-11-04T19:30:00.000Z",
          local_time: "2024-11-04T19:30:00Z",
          energy_wh: 2300,
        },
        per_device: [],
        silent_devices: [d4],
      },
    );
    const mine = await ok(h.call("GET", `/api/v1/analytics/summary?${params({ site_id: site })}`));
    assert.deepEqual([mine.timezone, mine.devices, mine.silent_devices], ["Asia/Kolkata", 3, []]);
    assert.equal((mine.peak_hour as Row).local_time, "2024-11-05T01:00:00+05:30");
  });

  test("timeline: the group's hours of its local date", async () => {
    const body = await ok(h.call("GET", `/api/v1/analytics/timeline?${params({ site_id: site })}`));
    assert.deepEqual(
      (body.hours as Row[]).map((r) => [r.local_time, r.energy_wh, r.devices]),
      [
        ["2024-11-05T00:00:00+05:30", 2200, 3],
        ["2024-11-05T01:00:00+05:30", 2300, 3],
        ["2024-11-05T02:00:00+05:30", 500, 2],
        ["2024-11-05T03:00:00+05:30", 200, 1],
      ],
    );
    const other = await ok(
      h.call("GET", `/api/v1/analytics/timeline?${query({ group: GROUP, date: "2024-11-06" })}`),
    );
    assert.deepEqual(other.hours, []);
  });

  test("400 for a bad date or missing group, 404 for an unknown group, 401 without a key", async () => {
    for (const path of ["/api/v1/analytics/summary", "/api/v1/analytics/timeline"]) {
      for (const [q, field] of [
        [{ group: GROUP, date: "2024-13-01" }, "query.date"],
        [{ group: GROUP, date: "05/11/2024" }, "query.date"],
        [{ date: "2024-11-05" }, "query.group"],
        [{ group: GROUP, date: "2024-11-05", site_id: "bad id" }, "query.site_id"],
      ] as const) {
        const res = await h.call("GET", `${path}?${query(q)}`);
        assert.equal(res.status, 400);
        assert.deepEqual(issuePaths(res.body), [field]);
      }
      const unknown = await h.call("GET", `${path}?${query({ group: `${h.tag}-none`, date: "2024-11-05" })}`);
      assert.equal(unknown.status, 404);
      assert.equal((await h.call("GET", `${path}?${params()}`, { key: null })).status, 401);
    }
  });
});

test("injection attempts in every parameter are refused or match nothing; the tables stay", async () => {
  const valid: Record<string, Record<string, string>> = {
    "/api/v1/energy/hourly": { scope: "site", id: site, ...day },
    "/api/v1/energy/daily": { scope: "device", id: d1, ...day },
    "/api/v1/analytics/summary": { group: GROUP, date: "2024-11-05", site_id: site },
    "/api/v1/analytics/timeline": { group: GROUP, date: "2024-11-05", site_id: site },
  };
  for (const [path, params] of Object.entries(valid)) {
    for (const name of Object.keys(params)) {
      for (const attempt of INJECTIONS) {
        const res = await h.call("GET", `${path}?${query({ ...params, [name]: attempt })}`);
        assert.ok([400, 404].includes(res.status), `${path} ${name}=${attempt}: ${res.status}`);
      }
    }
  }
  for (const attempt of INJECTIONS) {
    const res = await hourly({ scope: "device", id: attempt, ...day });
    assert.ok([400, 404].includes(res.status), `device ${attempt}`);
  }
  assert.ok(await tablesIntact(h.pool));
  const still = await ok(daily({ scope: "site", id: site, ...day }));
  assert.equal((still.rows as Row[])[0]?.energy_wh, 5200);
});

describe("POST /api/v1/recalculations and GET /api/v1/jobs/:id", () => {
  const range = { from: "2003-02-10T00:00:00Z", to: "2003-02-11T00:00:00Z" };

  test("401, 403 below operator, 400 with details", async () => {
    assert.equal((await h.call("POST", "/api/v1/recalculations", { key: null, body: range })).status, 401);
    assert.equal(
      (await h.call("POST", "/api/v1/recalculations", { role: "viewer", body: range })).status,
      403,
    );
    const cases: [unknown, string][] = [
      [{ to: range.to }, "body.from"],
      [{ from: range.to, to: range.from }, "body.to"],
      [{ from: "2003-01-01T00:00:00Z", to: "2004-06-01T00:00:00Z" }, "body.to"],
      [{ ...range, devices: [] }, "body.devices"],
      [{ ...range, devices: ["has space"] }, "body.devices.0"],
      [{ ...range, from: "2003-02-10T00:00:00" }, "body.from"],
      [{ ...range, dry_run: "yes" }, "body.dry_run"],
    ];
    for (const [body, path] of cases) {
      const res = await h.call("POST", "/api/v1/recalculations", { role: "operator", body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(issuePaths(res.body), [path], JSON.stringify(body));
    }
    assert.equal((await h.call("GET", "/api/v1/jobs/abc")).status, 400);
    assert.equal((await h.call("GET", "/api/v1/jobs/999999999999")).status, 404);
    assert.equal((await h.call("GET", "/api/v1/jobs/1", { key: null })).status, 401);
  });

  test("202 with a running job, one at a time; the job ends succeeded and its rows are queryable", async () => {
    const device = `${h.tag}-replayed`;
    await ok(
      h.call("POST", "/api/v1/devices", { body: { device_id: device, site_id: site, kind: "meter" } }),
      201,
    );
    // Readings on the telemetry topic (as a connector would produce them) that no stream has turned into rows.
    const kafka = createKafka(config);
    // A fresh broker creates no topic on its own (auto-creation is off): the project's topics come from ensureTopics.
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, config);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const store = schemaStore();
    await producer.send({
      topic: TOPICS.telemetry,
      acks: -1,
      messages: [
        ["2003-02-10T00:00:00Z", 0],
        ["2003-02-10T01:00:00Z", 100],
        ["2003-02-10T02:00:00Z", 250],
      ].map(([ts, wh]) => ({
        key: device,
        value: store.encode("TelemetryReading", {
          device_id: device,
          ts: Date.parse(ts as string),
          ts_source: "device",
          energy_wh_total: wh as number,
          power_w: null,
          boot_id: null,
          seq: null,
          switch_state: null,
          voltage_v: null,
          current_a: null,
          source: "test",
          received_at: Date.now(),
        }),
      })),
    });
    await producer.disconnect();

    const keyName = `${h.tag}-operator`;
    const started = await h.call("POST", "/api/v1/recalculations", {
      role: "operator",
      body: { ...range, devices: [device, device] },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.status, "running");
    assert.equal(started.body.job, "ledger.replay");
    assert.equal(started.headers.get("location"), `/api/v1/jobs/${started.body.id}`);
    assert.deepEqual(started.body.summary, {
      from: "2003-02-10T00:00:00.000Z",
      to: "2003-02-11T00:00:00.000Z",
      devices: [device],
      dry_run: false,
      with_readings: false,
      requested_by: keyName,
    });
    const again = await h.call("POST", "/api/v1/recalculations", { role: "operator", body: range });
    assert.equal(again.status, 409);
    assert.equal((again.body.error as { details: Body }).details.job_id, started.body.id);

    const done = await eventually(
      "the replay job to finish",
      async () => {
        const job = await ok(h.call("GET", `/api/v1/jobs/${started.body.id}`, { role: "viewer" }));
        return job.status === "running" ? undefined : job;
      },
      120_000,
    );
    assert.equal(done.status, "succeeded", JSON.stringify(done.summary));
    assert.ok(typeof done.finished_at === "string");
    const summary = done.summary as Body;
    assert.equal(summary.requested_by, keyName);
    assert.equal(summary.readings, 3);
    assert.equal(summary.devices, 1);
    assert.equal(summary.progress, null);
    assert.deepEqual((summary.rows as Body).hourly, 2);
    const rows = await eventually("the replayed rows", async () => {
      const body = await ok(hourly({ scope: "device", id: device, ...range }));
      return (body.rows as Row[]).length === 2 ? body : undefined;
    });
    assert.equal(rows.timezone, "UTC");
    assert.deepEqual(
      (rows.rows as Row[]).map((r) => [r.hour_start, r.local_time, r.energy_wh]),
      [
        ["2003-02-10T00:00:00.000Z", "2003-02-10T00:00:00Z", 100],
        ["2003-02-10T01:00:00.000Z", "2003-02-10T01:00:00Z", 150],
      ],
    );
  });
});

describe("POST /api/v1/hopecloud/communication-modules/sync", () => {
  let sim: HopeCloudSimulator;
  let client: HopeCloudClient;
  let call: Call;
  let plantSite: string;

  before(async () => {
    // A plant id of this run: sites.hopecloud_plant_id is unique in the shared registry.
    sim = await startHopeCloudSimulator({
      seed: 7,
      plants: [{ modules: 2, id: `${Date.now()}${process.pid}` }],
    });
    client = new HopeCloudClient({
      baseUrl: sim.url,
      appKey: "wattline-sim",
      appSecret: "wattline-sim-secret",
    });
    call = h.caller(h.makeApp({ hopecloud: () => client }));
    plantSite = `${h.tag}-plant`;
    await h.pool.query(
      "INSERT INTO sites (id, name, timezone, hopecloud_plant_id) VALUES ($1, 'Plant', $2, $3)",
      [plantSite, sim.plants[0]?.timeZone, sim.plants[0]?.id],
    );
  });
  after(async () => {
    client.close();
    await h.pool.query(
      "DELETE FROM job_runs WHERE job = 'hopecloud.modules.sync' AND summary->'site_ids' ? $1",
      [plantSite],
    );
    await sim.stop();
  });

  const sync = (body: unknown, role: "viewer" | "operator" = "operator", key?: null) =>
    call("POST", "/api/v1/hopecloud/communication-modules/sync", {
      role,
      body,
      ...(key === null ? { key } : {}),
    });

  test("401, 403 for a viewer, 400 for unknown or malformed fields", async () => {
    assert.equal((await sync({ site_ids: [plantSite] }, "operator", null)).status, 401);
    assert.equal((await sync({ site_ids: [plantSite] }, "viewer")).status, 403);
    for (const [body, path] of [
      [{ siteIds: [plantSite] }, "body"],
      [{ site_ids: [] }, "body.site_ids"],
      [{ site_ids: ["bad id"] }, "body.site_ids.0"],
      [{ site_ids: plantSite }, "body.site_ids"],
    ] as const) {
      const res = await sync(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(issuePaths(res.body), [path]);
    }
  });

  test("the sites' modules are created, then unchanged; an unknown site is an error of the report", async () => {
    const first = await ok(sync({ site_ids: [plantSite] }));
    assert.deepEqual(
      [first.processed, first.created, first.updated, first.unchanged, first.failed],
      [2, 2, 0, 0, 0],
    );
    assert.deepEqual(
      (first.per_site as Row[]).map((s) => [s.site_id, s.plant_id, s.status]),
      [[plantSite, sim.plants[0]?.id, "ok"]],
    );
    const { rows } = await h.pool.query("SELECT hopecloud_id FROM communication_modules WHERE site_id = $1", [
      plantSite,
    ]);
    assert.deepEqual(rows.map((r) => r.hopecloud_id).sort(), sim.plants[0]?.modules.map((m) => m.id).sort());
    const second = await ok(sync({ site_ids: [plantSite, plantSite] }));
    assert.deepEqual([second.processed, second.unchanged, second.created], [2, 2, 0]);
    const missing = await ok(sync({ site_ids: [`${h.tag}-nowhere`] }));
    assert.deepEqual(
      (missing.errors as Row[]).map((e) => [e.site_id, e.stage]),
      [[`${h.tag}-nowhere`, "site"]],
    );
    assert.equal(missing.failed, 1);
  });
});
