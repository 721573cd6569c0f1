// Meter replacements into Kafka: the MQTT default route and file lines become MeterReplacement records on the
// telemetry topic, keyed by device; a missing or wrong field is a dead letter with its reason. Pure: no broker.
import assert from "node:assert/strict";
import { test } from "node:test";
import { translateLine } from "../../../connectors/file/lines.ts";
import { compileRoutes, DEFAULT_ROUTES } from "../../../connectors/mqtt/routes.ts";
import { type Translation, translate } from "../../../connectors/mqtt/translate.ts";
import { TOPICS } from "../../../ground/topics.ts";

const routes = compileRoutes(DEFAULT_ROUTES);
const limits = { maxPayloadBytes: 65_536, maxFutureMs: 3_600_000 };
const swapTs = "2026-03-01T11:30:00Z";

const mqtt = (payload: unknown) =>
  translate(
    routes,
    {
      topic: "autovolt/m-7/meter-replacement",
      payload: Buffer.from(JSON.stringify(payload)),
      receivedAt: Date.parse("2026-03-01T12:00:00Z"),
      source: "mqtt",
    },
    limits,
  );

function accepted(t: Translation) {
  if (!t.ok) assert.fail(`dead letter ${t.deadLetter.reason}: ${t.deadLetter.details}`);
  return t;
}

test("MQTT autovolt/{device}/meter-replacement: a MeterReplacement on the telemetry topic, keyed by device", () => {
  const t = accepted(mqtt({ ts: swapTs, old_final_wh_total: 130 }));
  assert.equal(t.record, "MeterReplacement");
  assert.equal(t.kafkaTopic, TOPICS.telemetry);
  assert.equal(t.key, "m-7");
  assert.deepEqual(t.value, {
    device_id: "m-7",
    ts: Date.parse(swapTs),
    old_final_wh_total: 130,
    new_initial_wh_total: 0,
    source: "mqtt",
    received_at: Date.parse("2026-03-01T12:00:00Z"),
  });
});

test("MQTT: a replacement without ts or with a negative counter is a dead letter invalid_payload", () => {
  for (const payload of [{ old_final_wh_total: 1 }, { ts: swapTs, new_initial_wh_total: -1 }]) {
    const t = mqtt(payload);
    assert.equal(t.ok, false);
    if (!t.ok) assert.equal(t.deadLetter.reason, "invalid_payload");
  }
});

test("file: an event line becomes a MeterReplacement, a reading line a TelemetryReading", () => {
  const event = accepted(
    translateLine(
      routes,
      `{"kind":"meter_replacement","device_id":"m-7","ts":"${new Date().toISOString()}","new_initial_wh_total":5}`,
      "file:x:1",
      limits,
    ),
  );
  assert.equal(event.record, "MeterReplacement");
  assert.equal((event.value as { new_initial_wh_total: number }).new_initial_wh_total, 5);
  const reading = accepted(
    translateLine(
      routes,
      `{"device_id":"m-7","ts":"${new Date().toISOString()}","energy_wh_total":5}`,
      "file:x:2",
      limits,
    ),
  );
  assert.equal(reading.record, "TelemetryReading");
  const bad = translateLine(routes, '{"kind":"meter_replacement","device_id":"m-7"}', "file:x:3", limits);
  assert.equal(bad.ok, false);
});
