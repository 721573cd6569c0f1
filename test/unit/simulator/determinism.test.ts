import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_FAULT_RATES } from "../../../connectors/simulator/faults.ts";
import { generate } from "../../../connectors/simulator/generate.ts";
import type { TelemetryPayload } from "../../../connectors/simulator/messages.ts";

const base = { devices: 12, startMs: Date.parse("2025-10-25T12:00:00Z"), simDurationS: 43_200 };

test("determinism: the same seed gives the same messages, another seed others", () => {
  const a = [...generate({ ...base, seed: 42, faults: DEFAULT_FAULT_RATES })];
  const b = [...generate({ ...base, seed: 42, faults: DEFAULT_FAULT_RATES })];
  const c = [...generate({ ...base, seed: 43, faults: DEFAULT_FAULT_RATES })];
  assert.ok(a.length > 12 * 720);
  assert.deepEqual(a, b);
  assert.notDeepEqual(
    a.map((m) => m.payload),
    c.map((m) => m.payload),
  );
});

test("determinism: turning faults on leaves the physics alone (faults draw from their own stream)", () => {
  const power = (faults: typeof DEFAULT_FAULT_RATES | null) =>
    new Map(
      [...generate({ ...base, seed: 9, faults })]
        .filter((m) => m.topic.endsWith("/telemetry"))
        .map((m) => m.payload as TelemetryPayload)
        .map((r) => [`${r.device_id} ${r.ts}`, r.power_w]),
    );
  const clean = power(null);
  const faulty = power(DEFAULT_FAULT_RATES);
  assert.ok(faulty.size > 0.95 * clean.size);
  for (const [key, watts] of faulty) assert.equal(watts, clean.get(key), key);
});
