import assert from "node:assert/strict";
import { test } from "node:test";
import { refusedMessage, refuseReading } from "../../../pipelines/ledger/validate.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import type { DeadLetter, TelemetryReading } from "../../../schemas/generated/types.ts";

const receivedAt = Date.parse("2026-03-01T12:00:00Z");
const reading = (ts: number, received = receivedAt): TelemetryReading => ({
  device_id: "d1",
  ts,
  ts_source: "device",
  energy_wh_total: 10,
  power_w: null,
  boot_id: null,
  seq: null,
  switch_state: null,
  voltage_v: null,
  current_a: null,
  source: "test",
  received_at: received,
});

test("the ledger refuses a decoded reading whose ts is out of range against its received_at", () => {
  assert.equal(refuseReading(reading(receivedAt - 86_400_000), 3_600_000), undefined);
  assert.equal(refuseReading(reading(Date.UTC(2000, 0, 1)), 3_600_000), undefined);
  assert.equal(refuseReading(reading(receivedAt + 3_600_000), 3_600_000), undefined);
  assert.deepEqual(refuseReading(reading(Date.UTC(1990, 0, 1)), 3_600_000), {
    reason: "ts_out_of_range",
    details: "ts 1990-01-01T00:00:00.000Z is before 2000-01-01T00:00:00.000Z",
  });
  assert.deepEqual(refuseReading(reading(receivedAt + 3_600_001), 3_600_000), {
    reason: "ts_out_of_range",
    details:
      "ts 2026-03-01T13:00:00.001Z is more than 3600000 ms after its receive time 2026-03-01T12:00:00.000Z",
  });
  // A reading stamped with its receive time, as connectors do without a device time, is in range.
  assert.equal(refuseReading(reading(receivedAt), 0), undefined);
});

test("a refused message becomes a stream dead letter keyed like the original, the bytes kept", () => {
  const store = schemaStore();
  const original = store.encode("TelemetryReading", reading(Date.UTC(1990, 0, 1)));
  const refusal = refuseReading(reading(Date.UTC(1990, 0, 1)), 3_600_000);
  assert.ok(refusal);
  const before = Date.now();
  const message = refusedMessage("telemetry.energy.v1", "d1", original, refusal);
  assert.equal(message.key, "d1");
  const decoded = store.decode(message.value);
  assert.equal(decoded.name, "DeadLetter");
  const { received_at, ...letter } = decoded.record as DeadLetter;
  assert.ok(received_at >= before);
  assert.deepEqual(letter, {
    source: "stream",
    original_topic: "telemetry.energy.v1",
    key: "d1",
    payload: original,
    reason: "ts_out_of_range",
    details: refusal.details,
  });
});
