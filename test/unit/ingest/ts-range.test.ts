// Implausible device timestamps (before 2000, or more than WATTLINE_MAX_FUTURE_MS after receipt) become dead
// letters `ts_out_of_range` in every connector, and good input keeps flowing. Pure: no broker, no Kafka.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { translateLine } from "../../../connectors/file/lines.ts";
import { realtime } from "../../../connectors/hopecloud/api/shapes.ts";
import { rejectedRecord } from "../../../connectors/hopecloud/connector/dead-letter.ts";
import { readingRecords } from "../../../connectors/hopecloud/records/convert.ts";
import { compileRoutes, DEFAULT_ROUTES } from "../../../connectors/mqtt/routes.ts";
import { type Translation, translate } from "../../../connectors/mqtt/translate.ts";

const routes = compileRoutes(DEFAULT_ROUTES);
const hour = 3_600_000;
const limits = { maxPayloadBytes: 65_536, maxFutureMs: hour };
const receivedAt = Date.parse("2026-03-01T12:00:00Z");

const mqtt = (topic: string, payload: unknown, max = limits) =>
  translate(
    routes,
    { topic, payload: Buffer.from(JSON.stringify(payload)), receivedAt, source: "mqtt" },
    max,
  );

function deadLetter(t: Translation) {
  assert.equal(t.ok, false, "a dead letter");
  if (t.ok) throw new Error("unreachable");
  return t.deadLetter;
}

function record(t: Translation) {
  if (!t.ok)
    assert.fail(`expected a record, got dead letter ${t.deadLetter.reason}: ${t.deadLetter.details}`);
  return t.value as unknown as Record<string, unknown>;
}

describe("MQTT: a device ts out of range is a dead letter ts_out_of_range", () => {
  test("telemetry from a clock far in the future", () => {
    const payload = { energy_wh_total: 10, ts: "2099-01-01T00:00:00Z" };
    const d = deadLetter(mqtt("autovolt/dev1/telemetry", payload));
    assert.deepEqual(d, {
      source: "mqtt",
      original_topic: "autovolt/dev1/telemetry",
      key: "dev1",
      payload: Buffer.from(JSON.stringify(payload)),
      reason: "ts_out_of_range",
      details:
        "ts 2099-01-01T00:00:00.000Z is more than 3600000 ms after its receive time 2026-03-01T12:00:00.000Z",
      received_at: receivedAt,
    });
  });

  test("telemetry from 1990 (ISO with offset, and epoch ms 0)", () => {
    const d = deadLetter(
      mqtt("autovolt/dev1/telemetry", { energy_wh_total: 1, ts: "1990-05-01T02:00:00+02:00" }),
    );
    assert.equal(d.reason, "ts_out_of_range");
    assert.equal(d.details, "ts 1990-05-01T00:00:00.000Z is before 2000-01-01T00:00:00.000Z");
    const zero = deadLetter(mqtt("autovolt/dev1/telemetry", { energy_wh_total: 1, ts: 0 }));
    assert.equal(zero.reason, "ts_out_of_range");
    assert.match(String(zero.details), /^ts 1970-01-01T00:00:00.000Z is before 2000/);
  });

  test("boundaries: 2000-01-01Z and receive + bound pass, 1 ms beyond either does not", () => {
    const at = (ts: number) => mqtt("autovolt/dev1/telemetry", { energy_wh_total: 1, ts });
    assert.equal(record(at(Date.UTC(2000, 0, 1))).ts, Date.UTC(2000, 0, 1));
    assert.equal(deadLetter(at(Date.UTC(2000, 0, 1) - 1)).reason, "ts_out_of_range");
    assert.equal(record(at(receivedAt + hour)).ts, receivedAt + hour);
    assert.equal(deadLetter(at(receivedAt + hour + 1)).reason, "ts_out_of_range");
  });

  test("the bound is the configured one", () => {
    const payload = { energy_wh_total: 1, ts: receivedAt + 2 * hour };
    assert.equal(deadLetter(mqtt("autovolt/dev1/telemetry", payload)).reason, "ts_out_of_range");
    const wider = { ...limits, maxFutureMs: 3 * hour };
    assert.equal(record(mqtt("autovolt/dev1/telemetry", payload, wider)).ts, receivedAt + 2 * hour);
    const none = { ...limits, maxFutureMs: 0 };
    assert.equal(
      deadLetter(mqtt("autovolt/dev1/telemetry", { energy_wh_total: 1, ts: receivedAt + 1 }, none)).reason,
      "ts_out_of_range",
    );
  });

  test("status, heartbeat and connector counts with a device ts follow the same rule", () => {
    const future = "2030-01-01T00:00:00Z";
    const old = "1999-01-01T00:00:00Z";
    for (const [topic, payload] of [
      ["autovolt/dev2/status", { status: "online", ts: future }],
      ["autovolt/dev2/status", { status: "offline", ts: old }],
      ["autovolt/dev2/heartbeat", { uptime_s: 5, ts: future }],
      ["autovolt/dev2/heartbeat", { uptime_s: 5, ts: old }],
      ["acc/sweet-home/dev2/status-control/connectors-count", { count: 2, ts: future }],
      ["acc/sweet-home/dev2/status-control/connectors-count", { count: 2, ts: old }],
    ] as const) {
      const d = deadLetter(mqtt(topic, payload));
      assert.equal(d.reason, "ts_out_of_range", `${topic} ${payload.ts}`);
      assert.equal(d.key, "dev2");
      assert.equal(d.original_topic, topic);
    }
  });

  test("good input keeps flowing: in-range device times, and payloads without one (the receive time)", () => {
    const good = record(mqtt("autovolt/dev3/telemetry", { energy_wh_total: 5, ts: "2025-06-01T10:00:00Z" }));
    assert.equal(good.ts, Date.UTC(2025, 5, 1, 10));
    const noTs = record(mqtt("autovolt/dev3/telemetry", { energy_wh_total: 6 }));
    assert.deepEqual([noTs.ts, noTs.ts_source], [receivedAt, "received"]);
    assert.equal(record(mqtt("autovolt/dev3/status", "online")).ts, receivedAt);
    assert.equal(record(mqtt("autovolt/dev3/heartbeat", {})).ts, receivedAt);
    assert.equal(record(mqtt("acc/sweet-home/dev3/status-control/connectors-count", 4)).ts, receivedAt);
    assert.equal(
      record(mqtt("autovolt/dev3/status", { status: "online", ts: receivedAt - 1 })).ts,
      receivedAt - 1,
    );
  });

  test("an invalid payload is still invalid_payload, whatever its ts", () => {
    const d = deadLetter(
      mqtt("autovolt/dev4/telemetry", { energy_wh_total: -1, ts: "1990-01-01T00:00:00Z" }),
    );
    assert.equal(d.reason, "invalid_payload");
  });
});

describe("file: the receive time is when the line is read", () => {
  const where = (n: number) => `file:/tmp/x.ndjson:${n}`;

  test("a reading line before 2000 or far ahead is a dead letter with its line, key and the reason", () => {
    const old = JSON.stringify({ device_id: "f1", ts: "1999-12-31T23:59:59Z", energy_wh_total: 1 });
    const d = deadLetter(translateLine(routes, old, where(3), limits));
    assert.deepEqual(
      [d.source, d.original_topic, d.key, d.reason],
      ["file", where(3), "f1", "ts_out_of_range"],
    );
    assert.equal(d.details, "ts 1999-12-31T23:59:59.000Z is before 2000-01-01T00:00:00.000Z");
    assert.deepEqual(d.payload, Buffer.from(old));

    const before = Date.now();
    const ahead = JSON.stringify({ device_id: "f1", ts: before + 2 * hour, energy_wh_total: 1 });
    const f = deadLetter(translateLine(routes, ahead, where(4), limits));
    assert.deepEqual([f.original_topic, f.reason], [where(4), "ts_out_of_range"]);
    assert.match(String(f.details), /is more than 3600000 ms after its receive time/);
    assert.ok(f.received_at >= before && f.received_at <= Date.now(), "received when read");
  });

  test("an MQTT capture line follows the MQTT rule", () => {
    const line = JSON.stringify({
      topic: "autovolt/f2/telemetry",
      payload: { energy_wh_total: 1, ts: "2199-01-01T00:00:00Z" },
    });
    const d = deadLetter(translateLine(routes, line, where(5), limits));
    assert.deepEqual([d.source, d.key, d.reason], ["file", "f2", "ts_out_of_range"]);
  });

  test("old backfills after 2000 pass", () => {
    const line = JSON.stringify({ device_id: "f3", ts: "2003-02-10T00:00:00Z", energy_wh_total: 1 });
    assert.equal(record(translateLine(routes, line, where(6), limits)).ts, Date.UTC(2003, 1, 10));
  });
});

describe("HopeCloud: an inverter's data timestamp out of range is rejected ts_out_of_range", () => {
  const at = (timestamp: string) => realtime.parse({ sn: "HW9", timestamp, totalKwh: "12.5" });
  const polledAt = Date.UTC(2025, 5, 19, 9, 47); // 14:47 in Tashkent (UTC+5)

  test("future and pre-2000 readings are rejected with the reason; the in-range one goes on", () => {
    const listing = {
      records: [at("2025-06-19 14:45:00"), at("2025-06-19 16:47:01"), at("1999-12-31 23:00:00")],
      invalid: [],
    };
    const converted = readingRecords(listing, "Asia/Tashkent", polledAt, hour);
    assert.deepEqual(
      converted.records.map((r) => r.ts),
      [Date.UTC(2025, 5, 19, 9, 45)],
    );
    assert.deepEqual(
      converted.rejected.map((r) => [r.id, r.reason]),
      [
        ["HW9", "ts_out_of_range"],
        ["HW9", "ts_out_of_range"],
      ],
    );
    assert.match(String(converted.rejected[0]?.problems), /more than 3600000 ms after its receive time/);
    assert.match(String(converted.rejected[1]?.problems), /^ts 1999-12-31T18:00:00.000Z is before 2000/);
    const [future] = converted.rejected;
    assert.ok(future);
    const letter = rejectedRecord("/api/equipment/realtime?plantId=p1", future, polledAt);
    assert.equal(letter.reason, "ts_out_of_range");
    assert.equal(letter.source, "hopecloud");
    assert.equal(letter.key, "HW9");
  });

  test("the receive time + bound itself is accepted; other rejections keep invalid_record", () => {
    const converted = readingRecords(
      { records: [at("2025-06-19 15:47:00")], invalid: [] },
      "Asia/Tashkent",
      polledAt,
      hour,
    );
    assert.equal(converted.rejected.length, 0);
    assert.equal(
      rejectedRecord("/x", { id: "1", raw: {}, problems: "bad" }, polledAt).reason,
      "invalid_record",
    );
  });
});
