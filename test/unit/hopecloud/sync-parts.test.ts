import assert from "node:assert/strict";
import { test } from "node:test";
import { type BatchMessage, sortBatch } from "../../../connectors/hopecloud/sync/batch.ts";
import { isTransient } from "../../../connectors/hopecloud/sync/db-errors.ts";
import { finishReport, SiteTally } from "../../../connectors/hopecloud/sync/report.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import type { HopeCloudModule } from "../../../schemas/generated/types.ts";

const store = schemaStore();

const snapshot = (module_id: string, plant_id: string, rssi: number): HopeCloudModule => ({
  module_id,
  serial: null,
  name: null,
  plant_id,
  plant_name: null,
  user_id: null,
  model: null,
  firmware: null,
  iccid: null,
  operator: null,
  rssi,
  status_code: 1,
  status: "online",
  loaded_number: null,
  longitude: null,
  latitude: null,
  start_time: null,
  stop_time: null,
  last_update: null,
  fetched_at: 0,
});

test("a batch keeps each module's latest snapshot, grouped by plant, and sets the undecodable apart", () => {
  const messages: BatchMessage[] = [
    snapshot("m1", "p1", 10),
    snapshot("m2", "p2", 20),
    snapshot("m1", "p1", 11),
  ].map((m, i) => ({
    offset: String(i),
    key: Buffer.from(m.module_id),
    value: store.encode("HopeCloudModule", m),
  }));
  messages.push({ offset: "3", key: Buffer.from("junk"), value: Buffer.from("not avro") });
  messages.push({ offset: "4", key: null, value: null });
  const sorted = sortBatch(messages, (v) => store.decode(v));
  assert.deepEqual(
    [...sorted.byPlant].map(([plant, records]) => [plant, records.map((r) => [r.module_id, r.rssi])]),
    [
      ["p1", [["m1", 11]]],
      ["p2", [["m2", 20]]],
    ],
  );
  assert.deepEqual(
    sorted.undecodable.map((u) => [u.message.offset, u.reason]),
    [
      ["3", "bad_marker"],
      ["4", "empty_value"],
    ],
  );
});

test("the report counts per site and in total: processed = created + updated + unchanged, failed = errors", () => {
  const a = new SiteTally({ site_id: "a", plant_id: "pa" });
  a.add({ module_id: "m1", outcome: "created" });
  a.add({ module_id: "m2", outcome: "updated", changed: ["rssi"] });
  a.add({ module_id: "m3", outcome: "unchanged" });
  a.add({ module_id: "m4", outcome: "failed", error: "violates check" });
  a.reject("m5", "latitude: Too big");
  const b = new SiteTally({ site_id: "b", plant_id: "pb" });
  b.abort("fetch", "GET /api/divertors: HTTP 500");
  const report = finishReport(
    new Date(0),
    [a.report, b.report],
    [],
    [{ site_id: "c", plant_id: null, module_id: null, stage: "site", message: "no such site" }],
  );
  assert.deepEqual(
    [report.processed, report.created, report.updated, report.unchanged, report.failed],
    [3, 1, 1, 1, 4],
  );
  assert.equal(report.errors.length, report.failed);
  assert.deepEqual(
    report.per_site.map((s) => [s.site_id, s.status, s.processed, s.failed]),
    [
      ["a", "partial", 3, 2],
      ["b", "failed", 0, 1],
    ],
  );
  assert.deepEqual(a.report.changes, [
    { module_id: "m1", outcome: "created", changed: [] },
    { module_id: "m2", outcome: "updated", changed: ["rssi"] },
  ]);
  assert.deepEqual(
    report.errors.map((e) => [e.site_id, e.module_id, e.stage]),
    [
      ["c", null, "site"],
      ["a", "m4", "write"],
      ["a", "m5", "validate"],
      ["b", null, "fetch"],
    ],
  );
});

test("database errors: a refused row is not transient; a lost connection, a deadlock or a race is", () => {
  const pg = (code: string) => Object.assign(new Error(code), { code });
  assert.deepEqual(
    ["23514", "22003", "23503", "P0001", "42703"].map((c) => isTransient(pg(c))),
    [false, false, false, false, false],
  );
  assert.deepEqual(
    ["08006", "40P01", "57P01", "53300", "23505", "ECONNREFUSED"].map((c) => isTransient(pg(c))),
    [true, true, true, true, true, true],
  );
  assert.equal(isTransient(new Error("Connection terminated unexpectedly")), true);
});
