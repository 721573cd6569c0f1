import assert from "node:assert/strict";
import { test } from "node:test";
import { createFleet } from "../../../connectors/simulator/fleet.ts";
import { generate } from "../../../connectors/simulator/generate.ts";
import type { HeartbeatPayload, Message, TelemetryPayload } from "../../../connectors/simulator/messages.ts";

const START = Date.parse("2025-06-20T00:00:00Z");
const DEVICES = 30;
const DAYS = 1;
const run = [...generate({ devices: DEVICES, seed: 11, startMs: START, simDurationS: DAYS * 86_400 })];
const specs = createFleet({
  devices: DEVICES,
  timezones: ["Europe/Berlin", "Asia/Kolkata"],
  intervalMs: 60_000,
  seed: 11,
  prefix: "sim",
}).map((d) => d.spec);

const telemetry = (messages: Message[]) =>
  messages.filter((m) => m.topic.endsWith("/telemetry")).map((m) => m.payload as TelemetryPayload);

function byDevice(readings: TelemetryPayload[]): Map<string, TelemetryPayload[]> {
  const map = new Map<string, TelemetryPayload[]>();
  for (const r of readings) {
    const list = map.get(r.device_id) ?? [];
    list.push(r);
    map.set(r.device_id, list);
  }
  return map;
}

const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test("model: without faults, every device's counter is monotone, within its power, in one boot", () => {
  const readings = byDevice(telemetry(run));
  assert.equal(readings.size, DEVICES);
  for (const spec of specs) {
    const rs = readings.get(spec.id) ?? [];
    assert.equal(rs.length, DAYS * 1440);
    for (const [i, r] of rs.entries()) {
      const prev = rs[i - 1];
      if (!prev) continue;
      assert.equal(r.boot_id, prev.boot_id);
      assert.equal(r.seq, prev.seq + 1);
      assert.equal(Date.parse(r.ts) - Date.parse(prev.ts), 60_000);
      const delta = r.energy_wh_total - prev.energy_wh_total;
      assert.ok(delta >= 0, `${spec.id} went down at ${r.ts}`);
      // The ledger's implausible-jump rule must never fire on clean data.
      assert.ok(delta <= spec.maxPowerW / 60 + 0.001, `${spec.id} jumped ${delta} Wh at ${r.ts}`);
    }
  }
});

test("model: telemetry has the documented fields and units", () => {
  for (const r of telemetry(run)) {
    assert.match(r.ts, ISO_Z);
    assert.match(r.boot_id, /^[0-9a-f]{8}$/);
    assert.ok(Number.isInteger(r.seq) && r.seq >= 0);
    for (const field of ["energy_wh_total", "power_w", "voltage_v", "current_a"] as const) {
      assert.ok(Number.isFinite(r[field]), `${field} of ${r.device_id}`);
    }
    assert.ok(r.energy_wh_total >= 0 && r.voltage_v > 0 && r.current_a >= 0);
    // Rounded to 0.1 V and 0.1 W, so current matches power / voltage to about 0.1 %.
    const expected = Math.abs(r.power_w) / r.voltage_v;
    assert.ok(
      Math.abs(r.current_a - expected) <= 0.001 * expected + 0.002,
      `${r.current_a} A vs ${expected} A`,
    );
  }
});

test("model: loads switch on and off, batteries charge and discharge, chargers charge", () => {
  const readings = telemetry(run);
  const kindOf = new Map(specs.map((s) => [s.id, s.kind]));
  const of = (kind: string) => readings.filter((r) => kindOf.get(r.device_id) === kind);
  for (const kind of ["classroom", "meter"]) {
    const states = new Set(of(kind).map((r) => r.switch_state));
    assert.deepEqual(states, new Set(["on", "off"]), kind);
  }
  assert.ok(of("battery").some((r) => r.power_w < 0) && of("battery").some((r) => r.power_w > 0));
  assert.ok(of("ev_charger").some((r) => r.power_w > 0));
  assert.ok(of("inverter").some((r) => r.power_w > 1000) && of("inverter").some((r) => r.power_w === 0));
});

test("model: status online first and offline last, heartbeats every 5 minutes, connector counts", () => {
  const first = run.slice(0, DEVICES + 2);
  for (const spec of specs) {
    const status = run.filter((m) => m.topic === `autovolt/${spec.id}/status`);
    assert.deepEqual(
      status.map((m) => (m.payload as { status: string }).status),
      ["online", "offline"],
    );
    assert.ok(first.includes(status[0] as Message));
    const beats = run
      .filter((m) => m.topic === `autovolt/${spec.id}/heartbeat`)
      .map((m) => m.payload as HeartbeatPayload);
    assert.equal(beats.length, (DAYS * 86_400) / 300);
    assert.ok(
      beats.every((b, i) => i === 0 || Date.parse(b.ts) - Date.parse(beats[i - 1]?.ts ?? "") === 300_000),
    );
    assert.ok(beats.every((b) => b.uptime_s > 0 && b.firmware !== "" && b.rssi_dbm < 0));
  }
  const counts = run.filter((m) => m.topic.endsWith("/status-control/connectors-count"));
  assert.ok(counts.length > 0);
  for (const m of counts) {
    assert.match(m.topic, /^sim-acc-\d{3}\/sweet-home\/sim-evc-\d{4}\/status-control\/connectors-count$/);
    assert.ok(Number.isInteger(m.payload) && (m.payload as number) >= 1);
  }
});

test("model: within one interval, each device reads once and at its own moment", () => {
  const firstMinute = telemetry(run).filter((r) => Date.parse(r.ts) < START + 60_000);
  assert.equal(firstMinute.length, DEVICES);
  assert.equal(new Set(firstMinute.map((r) => r.ts)).size, DEVICES);
});
