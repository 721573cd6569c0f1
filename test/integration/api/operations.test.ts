// Cost versions, review tickets, charging, communication modules and the health report through the API.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { consumerLag } from "../../../api/consumer-lag.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { config, unique } from "../../support/stack.ts";
import { type Harness, harness } from "./support.ts";

let h: Harness;
let site: string;
before(async () => {
  h = await harness("ops");
  site = `${h.tag}-site`;
  await h.call("POST", "/api/v1/sites", { body: { id: site, name: "Ops", timezone: "Asia/Kolkata" } });
  await h.call("POST", "/api/v1/devices", {
    body: { device_id: `${h.tag}-esp`, site_id: site, kind: "classroom" },
  });
});
after(() => h.close());

type Body = Record<string, unknown>;
const ok = async (p: Promise<{ status: number; body: Body }>, status = 200): Promise<Body> => {
  const res = await p;
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
};

test("cost versions: created with an offset, scoped, listed by scope; never changed", async () => {
  const v = await ok(
    h.call("POST", "/api/v1/cost-versions", {
      role: "operator",
      body: {
        scope: "site",
        scope_id: site,
        cost_per_kwh: 7.5,
        currency: "INR",
        effective_from: "2024-11-01T00:00:00+05:30",
        note: "Q4",
      },
    }),
    201,
  );
  assert.equal(v.effective_from, "2024-10-31T18:30:00.000Z");
  assert.equal(v.cost_per_kwh, 7.5);
  await ok(
    h.call("POST", "/api/v1/cost-versions", {
      body: {
        scope: "device",
        scope_id: `${h.tag}-esp`,
        cost_per_kwh: 8,
        currency: "INR",
        effective_from: "2024-12-01T00:00:00Z",
      },
    }),
    201,
  );
  const listed = await ok(
    h.call("GET", `/api/v1/cost-versions?scope=site&scope_id=${site}`, { role: "viewer" }),
  );
  assert.deepEqual(
    (listed.items as { id: number }[]).map((c) => c.id),
    [v.id],
  );
  assert.equal((await ok(h.call("GET", `/api/v1/cost-versions/${v.id}`))).note, "Q4");

  const local = await h.call("POST", "/api/v1/cost-versions", {
    body: { scope: "global", cost_per_kwh: 1, currency: "EUR", effective_from: "2024-11-01T00:00:00" },
  });
  assert.equal(local.status, 400, "a time without offset is ambiguous");
  const unscoped = await h.call("POST", "/api/v1/cost-versions", {
    body: { scope: "site", cost_per_kwh: 1, currency: "eur", effective_from: "2024-11-01T00:00:00Z" },
  });
  assert.equal(unscoped.status, 400);
  const unknownSite = await h.call("POST", "/api/v1/cost-versions", {
    body: {
      scope: "site",
      scope_id: `${h.tag}-nope`,
      cost_per_kwh: 1,
      currency: "EUR",
      effective_from: "2024-11-01T00:00:00Z",
    },
  });
  assert.equal(unknownSite.status, 400);
  assert.equal((unknownSite.body.error as Body).code, "invalid_reference");
  assert.equal(
    (await h.call("PATCH", `/api/v1/cost-versions/${v.id}`, { body: { cost_per_kwh: 1 } })).status,
    404,
  );
  assert.equal((await h.call("DELETE", `/api/v1/cost-versions/${v.id}`)).status, 404);
});

test("review tickets: list by status, resolve once, idempotent, with who and why", async () => {
  const { rows } = await h.pool.query<{ id: string }>(
    `INSERT INTO review_tickets (device_id, kind, details, dedupe_key)
     VALUES ($1, 'reset_storm', '{"resets": 5}', $2), ($1, 'gap', '{}', $3) RETURNING id`,
    [`${h.tag}-esp`, `${h.tag}:1`, `${h.tag}:2`],
  );
  const [first, second] = rows.map((r) => Number(r.id));
  const open = await ok(
    h.call("GET", `/api/v1/review-tickets?status=open&device_id=${h.tag}-esp`, { role: "viewer" }),
  );
  assert.deepEqual(
    (open.items as { id: number }[]).map((t) => t.id),
    [first, second],
  );

  assert.equal(
    (await h.call("POST", `/api/v1/review-tickets/${first}/resolve`, { role: "viewer" })).status,
    403,
  );
  const resolved = await ok(
    h.call("POST", `/api/v1/review-tickets/${first}/resolve`, {
      role: "operator",
      body: { note: "firmware fixed" },
    }),
  );
  assert.equal(resolved.status, "resolved");
  assert.deepEqual((resolved.details as Body).resolution, {
    by: `${h.tag}-operator`,
    note: "firmware fixed",
  });
  assert.equal((resolved.details as Body).resets, 5);
  const again = await ok(h.call("POST", `/api/v1/review-tickets/${first}/resolve`));
  assert.equal(again.resolved_at, resolved.resolved_at);
  await ok(h.call("POST", `/api/v1/review-tickets/${second}/resolve`));
  assert.equal((await h.call("POST", "/api/v1/review-tickets/999999999999/resolve")).status, 404);
  const still = await ok(h.call("GET", `/api/v1/review-tickets?status=open&device_id=${h.tag}-esp`));
  assert.deepEqual(still.items, []);
  assert.equal((await h.call("GET", "/api/v1/review-tickets?status=closed")).status, 400);
});

test("charging stations and points: list and get, with the station's points", async () => {
  const { rows } = await h.pool.query<{ id: string }>(
    "INSERT INTO charging_stations (external_id, site_id) VALUES ($1, $2) RETURNING id",
    [`${h.tag}-cs-1`, site],
  );
  const station = Number(rows[0]?.id);
  await h.pool.query("INSERT INTO charging_points (station_id, point_number) VALUES ($1, 2), ($1, 1)", [
    station,
  ]);
  const got = await ok(h.call("GET", `/api/v1/charging-stations/${station}`, { role: "viewer" }));
  assert.deepEqual(
    (got.points as { point_number: number }[]).map((p) => p.point_number),
    [1, 2],
  );
  const bySite = await ok(h.call("GET", `/api/v1/charging-stations?site_id=${site}`));
  assert.equal((bySite.items as unknown[]).length, 1);
  const points = await ok(h.call("GET", `/api/v1/charging-points?station_id=${station}`));
  const items = points.items as { id: number; station_id: number }[];
  assert.equal(items.length, 2);
  assert.equal((await ok(h.call("GET", `/api/v1/charging-points/${items[0]?.id}`))).station_id, station);
  assert.equal((await h.call("POST", "/api/v1/charging-stations", { body: {} })).status, 404, "read-only");
});

test("communication modules: CRUD with seed 000's fields", async () => {
  const body = {
    site_id: site,
    hopecloud_id: `${h.tag}-1795625821979877378`,
    serial: "30081304A06G245H99476",
    name: "30081304A06G245H99476",
    model: "707",
    rssi: 39,
    status: "online",
    status_code: 1,
    loaded_number: 1,
    start_time: "2024-05-28T22:18:52+05:00",
    last_update: "2025-06-19T14:46:00+05:00",
  };
  const created = await ok(h.call("POST", "/api/v1/communication-modules", { role: "operator", body }), 201);
  assert.equal(created.start_time, "2024-05-28T17:18:52.000Z");
  assert.equal(created.operator, null);
  assert.equal((await h.call("POST", "/api/v1/communication-modules", { body })).status, 409);
  const badStop = await h.call("PATCH", `/api/v1/communication-modules/${created.id}`, {
    body: { stop_time: "2020-01-01T00:00:00Z" },
  });
  assert.equal(badStop.status, 400, "stop before start");
  const offline = await ok(
    h.call("PATCH", `/api/v1/communication-modules/${created.id}`, {
      body: { status: "offline", status_code: 0 },
    }),
  );
  assert.equal(offline.status, "offline");
  const listed = await ok(
    h.call("GET", `/api/v1/communication-modules?site_id=${site}&status=offline`, { role: "viewer" }),
  );
  assert.equal((listed.items as unknown[]).length, 1);
  assert.equal(
    (await h.call("PATCH", `/api/v1/communication-modules/${created.id}`, { body: { status: "broken" } }))
      .status,
    400,
  );
  await ok(h.call("DELETE", `/api/v1/communication-modules/${created.id}`));
  assert.equal((await h.call("GET", `/api/v1/communication-modules/${created.id}`)).status, 404);
});

test("GET /api/v1/health: seed 004's shape, filled from the registry, Kafka and job runs", async () => {
  await h.pool.query(
    "INSERT INTO device_status (device_id, status, last_seen, changed_at) VALUES ($1, 'online', now(), now())",
    [`${h.tag}-esp`],
  );
  const report = await ok(h.call("GET", "/api/v1/health", { role: "viewer" }));
  assert.deepEqual(Object.keys(report).sort(), [
    "aggregation",
    "ledger",
    "services",
    "status",
    "telemetry",
    "timestamp",
  ]);
  assert.equal(report.status, "healthy");
  const telemetry = report.telemetry as Record<string, number>;
  assert.ok((telemetry.registered_devices ?? 0) >= 1);
  assert.ok((telemetry.online_devices ?? 0) >= 1);
  const ledger = report.ledger as { consumer_group: string; topic: string };
  assert.equal(ledger.consumer_group, "wattline-ledger");
  assert.equal(ledger.topic, TOPICS.telemetry);
  assert.ok("last_run" in (report.aggregation as Body));
});

test("consumer lag: end minus committed per partition; null before any commit; a note when Kafka cannot answer", async () => {
  const kafka = createKafka(config);
  const admin = kafka.admin();
  const topic = unique("api-lag");
  const group = unique("api-lag-group");
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [0, 0, 0, 1, 1].map((partition, i) => ({ partition, value: String(i) })),
    });
    await producer.disconnect();
    const before = await consumerLag(kafka, group, topic);
    assert.equal(before.lag, null);
    assert.equal(before.retained, 5);
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "1" }] });
    const lag = await consumerLag(kafka, group, topic);
    // Partition 0: 3 − 1; partition 1 uncommitted: all 2 retained.
    assert.equal(lag.lag, 4);
    assert.deepEqual(
      lag.partitions.map((p) => [p.partition, p.committed, p.end, p.lag]),
      [
        [0, 1, 3, 2],
        [1, null, 2, 2],
      ],
    );
    await admin.deleteGroups([group]).catch(() => undefined);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
  // Nothing listens on port 1; no retries, so the refused connection ends with the test.
  const nowhere = new Kafka({ brokers: ["127.0.0.1:1"], retry: { retries: 0 }, logLevel: logLevel.NOTHING });
  const [down, shared] = await Promise.all([
    consumerLag(nowhere, group, topic, 500),
    consumerLag(nowhere, group, topic, 500),
  ]);
  assert.equal(down.lag, null);
  assert.match(down.note ?? "", /^Kafka: /);
  assert.equal(shared.note, down.note);
});
