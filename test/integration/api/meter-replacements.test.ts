// POST and GET /api/v1/devices/{id}/meter-replacements on the real registry and Kafka: roles, validation, an
// unknown device, the event published on the telemetry topic, and a replacement recorded after the fact whose
// recalculation brings the ledger's stored rows to `wattline compute` on the readings and the event.
import assert from "node:assert/strict";
import { appendFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { ReplacementProducer } from "../../../api/replacements/producer.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { createTopicsReady, topicNames } from "../../../ground/topics.ts";
import { readTopic } from "../../../pipelines/runtime/read-topic.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { config, startProcessor, stopProcessor, waitForLateReadings } from "../../support/ledger.ts";
import {
  computeWithReplacements,
  FAST,
  type Point,
  send,
  waitForReplacementRows,
  withDevice,
} from "../../support/ledger-device.ts";
import { type Call, type Harness, harness } from "./support.ts";

let h: Harness;
let call: Call;
let device: string;
const kafka = createKafka(config, "test-meter-replacements");
const producers: ReplacementProducer[] = [];

before(async () => {
  h = await harness("mrp");
  device = `${h.tag}-dev`;
  await h.pool.query("INSERT INTO sites (id, name, timezone) VALUES ($1, $2, 'UTC')", [
    `${h.tag}-site`,
    `${h.tag}-site`,
  ]);
  await h.pool.query(
    "INSERT INTO devices (device_id, site_id, kind, timezone) VALUES ($1, $2, 'meter', 'UTC')",
    [device, `${h.tag}-site`],
  );
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsReady(admin, [{ topic: topicNames(`${h.tag}.`).telemetry, numPartitions: 1 }]);
  await admin.disconnect();
  const producer = new ReplacementProducer(kafka, topicNames(`${h.tag}.`).telemetry);
  producers.push(producer);
  call = h.caller(h.makeApp({ replacements: producer }));
});

after(async () => {
  await Promise.all(producers.map((p) => p.stop()));
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topicNames(`${h.tag}.`).telemetry] }).catch(() => {});
  await admin.disconnect();
  await h.close();
});

const path = (id: string) => `/api/v1/devices/${encodeURIComponent(id)}/meter-replacements`;

/** The records on the test's telemetry topic, decoded. */
async function published(): Promise<Record<string, unknown>[]> {
  const store = schemaStore();
  const out: Record<string, unknown>[] = [];
  await readTopic(kafka, topicNames(`${h.tag}.`).telemetry, {
    onBatch: (_p, messages) => {
      for (const m of messages) {
        const d = store.decode(m.value as Buffer);
        out.push({ name: d.name, key: m.key?.toString(), ...(d.record as object) });
      }
    },
  });
  return out;
}

test("an operator records a replacement: 201 with the record, the event on the telemetry topic keyed by device", async () => {
  const body = {
    ts: "2024-06-04T10:00:00+02:00",
    old_final_wh_total: 12_345.5,
    new_initial_wh_total: 0,
    note: "new meter",
  };
  const res = await call("POST", path(device), { role: "operator", body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.device_id, device);
  assert.equal(res.body.ts, "2024-06-04T08:00:00.000Z");
  assert.equal(res.body.old_final_wh_total, 12_345.5);
  assert.equal(res.body.new_initial_wh_total, 0);
  assert.equal(res.body.note, "new meter");
  assert.equal(res.body.recorded_by, `${h.tag}-operator`);
  const events = await published();
  assert.equal(events.length, 1);
  assert.deepEqual(
    { ...events[0], received_at: undefined },
    {
      name: "MeterReplacement",
      key: device,
      device_id: device,
      ts: Date.UTC(2024, 5, 4, 8),
      old_final_wh_total: 12_345.5,
      new_initial_wh_total: 0,
      source: "api",
      received_at: undefined,
    },
  );

  const second = await call("POST", path(device), {
    role: "admin",
    body: { ts: "2024-06-05T00:00:00Z", new_initial_wh_total: 500 },
  });
  assert.equal(second.status, 201, JSON.stringify(second.body));
  assert.equal(second.body.old_final_wh_total, null, "an unknown final value is null");
  const list = await call("GET", path(device), { role: "viewer" });
  assert.equal(list.status, 200);
  assert.deepEqual(
    (list.body as unknown as { ts: string }[]).map((r) => r.ts),
    ["2024-06-04T08:00:00.000Z", "2024-06-05T00:00:00.000Z"],
  );

  const again = await call("POST", path(device), { role: "operator", body });
  assert.equal(again.status, 409, "a second replacement at the same instant");
  assert.equal((await published()).length, 2, "nothing published for a refused one");
});

test("a viewer cannot record a replacement (403), and nothing is recorded", async () => {
  const res = await call("POST", path(device), {
    role: "viewer",
    body: { ts: "2024-07-01T00:00:00Z", new_initial_wh_total: 0 },
  });
  assert.equal(res.status, 403);
  const { rows } = await h.pool.query("SELECT 1 FROM meter_replacements WHERE device_id = $1 AND ts = $2", [
    device,
    "2024-07-01T00:00:00Z",
  ]);
  assert.equal(rows.length, 0);
});

test("an invalid body is a 400 naming every problem", async () => {
  const res = await call("POST", path(device), {
    role: "operator",
    body: { ts: "2024-07-01 00:00", old_final_wh_total: -1, new_initial_wh_total: "0", extra: true },
  });
  assert.equal(res.status, 400);
  const error = res.body.error as { code: string; details: { issues: { path: string }[] } };
  assert.equal(error.code, "validation_failed");
  assert.deepEqual(error.details.issues.map((i) => i.path).sort(), [
    "body",
    "body.new_initial_wh_total",
    "body.old_final_wh_total",
    "body.ts",
  ]);
  const missing = await call("POST", path(device), {
    role: "operator",
    body: { ts: "2024-07-01T00:00:00Z" },
  });
  assert.equal(missing.status, 400);
  assert.deepEqual(
    (missing.body.error as { details: { issues: { path: string }[] } }).details.issues.map((i) => i.path),
    ["body.new_initial_wh_total"],
  );
});

test("a ts the ledger would refuse (before 2000, hours ahead) is a 400 on body.ts, and nothing is recorded", async () => {
  for (const ts of ["1999-12-31T23:59:59Z", new Date(Date.now() + 3 * 3_600_000).toISOString()]) {
    const res = await call("POST", path(device), { role: "operator", body: { ts, new_initial_wh_total: 0 } });
    assert.equal(res.status, 400, ts);
    const issues = (res.body.error as { details: { issues: { path: string }[] } }).details.issues;
    assert.deepEqual(
      issues.map((i) => i.path),
      ["body.ts"],
    );
  }
  const { rows } = await h.pool.query("SELECT ts FROM meter_replacements WHERE device_id = $1", [device]);
  assert.equal(rows.length, 2, "only the two recorded before");
});

test("an unknown device is a 404 for both routes", async () => {
  const unknown = `${h.tag}-nobody`;
  const post = await call("POST", path(unknown), {
    role: "operator",
    body: { ts: "2024-07-01T00:00:00Z", new_initial_wh_total: 0 },
  });
  assert.equal(post.status, 404);
  assert.equal((post.body.error as { code: string }).code, "not_found");
  assert.equal((await call("GET", path(unknown), { role: "viewer" })).status, 404);
});

const day = Date.UTC(2024, 5, 4);

test("a replacement recorded late through the API recalculates the device: stored rows = wattline compute", async () => {
  await withDevice(h.pool, "mrl", {}, async (fx) => {
    const producer = new ReplacementProducer(kafka, topicNames(fx.prefix).telemetry);
    producers.push(producer);
    const api = h.caller(h.makeApp({ replacements: producer }));
    const processor = startProcessor(fx, FAST);
    try {
      // The old meter to 50,400 Wh, then the new one from 0 (read as a reset until the replacement is known).
      const readings: Point[] = [
        [0, 50_000],
        [15, 50_100],
        [30, 50_200],
        [45, 50_300],
        [60, 50_400],
        [75, 40],
        [90, 140],
        [105, 240],
      ];
      await send(fx, readings, day);
      const readingsOnly = await computeWithReplacements(fx);
      assert.deepEqual(
        await waitForReplacementRows(h.questdb, fx, readingsOnly, 30_000),
        readingsOnly,
        "the readings first",
      );

      const swap = {
        ts: new Date(day + 65 * 60_000).toISOString(),
        old_final_wh_total: 50_450,
        new_initial_wh_total: 0,
      };
      const res = await api("POST", path(fx.device.device_id), { role: "operator", body: swap });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(await waitForLateReadings(fx, 1, 10_000), 1, "the ledger takes the event as late");
      // The same event for the batch, as compute's input line.
      appendFileSync(
        fx.readings,
        `${JSON.stringify({ kind: "meter_replacement", device_id: fx.device.device_id, ...swap })}\n`,
      );
      const expected = await computeWithReplacements(fx);
      assert.notDeepEqual(expected, readingsOnly, "the replacement changes the result");
      assert.deepEqual(expected.daily, [`${fx.device.device_id} 2024-06-04 690 0 1`]);
      assert.deepEqual(await waitForReplacementRows(h.questdb, fx, expected, 30_000), expected);
    } finally {
      await stopProcessor(processor);
    }
  });
});
