import assert from "node:assert/strict";
import { test } from "node:test";
import { FAULT_KINDS, type FaultKind } from "../../../connectors/simulator/fault-kinds.ts";
import {
  DEFAULT_FAULT_RATES,
  DIP_WH,
  type FaultRates,
  type FaultState,
  initialFaultState,
  planFault,
  SPIKE_WH,
} from "../../../connectors/simulator/faults.ts";
import { createFleet } from "../../../connectors/simulator/fleet.ts";
import { generate } from "../../../connectors/simulator/generate.ts";
import type { Message, TelemetryPayload } from "../../../connectors/simulator/messages.ts";
import { mulberry32 } from "../../../connectors/simulator/rng.ts";

const START = Date.parse("2025-03-28T00:00:00Z");
const DEVICES = 20;
const SPAN_S = 2 * 86_400;
const options = { devices: DEVICES, seed: 5, startMs: START, simDurationS: SPAN_S };

const telemetry = (messages: Message[]) => messages.filter((m) => m.topic.endsWith("/telemetry"));
const faultyRun = (seed: number) =>
  telemetry([...generate({ ...options, seed, faults: DEFAULT_FAULT_RATES })]);
const faulty = faultyRun(5);

const maxPowerOf = (seed: number) =>
  new Map(
    createFleet({
      devices: DEVICES,
      timezones: ["Europe/Berlin", "Asia/Kolkata"],
      intervalMs: 60_000,
      seed,
      prefix: "sim",
    }).map((d) => [d.spec.id, d.spec.maxPowerW]),
  );

/** Per device: telemetry as delivered, and the distinct readings in measuring (ts) order. */
function views(messages: Message[]) {
  const delivered = new Map<string, Message[]>();
  for (const m of messages) {
    const list = delivered.get(m.deviceId) ?? [];
    list.push(m);
    delivered.set(m.deviceId, list);
  }
  const measured = new Map<string, TelemetryPayload[]>();
  for (const [id, ms] of delivered) {
    const distinct = [...new Set(ms.map((m) => m.payload as TelemetryPayload))];
    measured.set(
      id,
      distinct.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts)),
    );
  }
  return { delivered, measured };
}

test("faults: with --faults every kind appears over a long seeded run, and most readings stay clean", () => {
  const seen = new Set(faulty.flatMap((m) => (m.fault ? [m.fault] : [])));
  assert.deepEqual([...seen].sort(), [...FAULT_KINDS].sort());
  const faulted = faulty.filter((m) => m.fault).length;
  assert.ok(faulted / faulty.length < 0.02, `${faulted} of ${faulty.length} readings carry a fault`);
});

test("faults: without --faults none appears, and the data shows none", () => {
  const clean = telemetry([...generate(options)]);
  assert.equal(clean.filter((m) => m.fault).length, 0);
  const { delivered, measured } = views(clean);
  for (const [id, ms] of delivered) {
    const rs = measured.get(id) ?? [];
    assert.equal(rs.length, ms.length, `${id}: duplicates`);
    assert.equal(rs.length, SPAN_S / 60, `${id}: gaps`);
    assert.deepEqual(
      ms.map((m) => m.payload),
      rs,
      `${id}: out of order`,
    );
    assert.ok(
      rs.every(
        (r, i) =>
          i === 0 || (r.boot_id === rs[0]?.boot_id && r.energy_wh_total >= (rs[i - 1]?.energy_wh_total ?? 0)),
      ),
      `${id}: reset, reboot, dip or glitch`,
    );
  }
});

for (const seed of [5, 6])
  test(`faults: each fault shows in the data as described (seed ${seed})`, () => {
    const { delivered, measured } = views(seed === 5 ? faulty : faultyRun(seed));
    const maxPower = maxPowerOf(seed);
    const checked: Partial<Record<FaultKind, number>> = {};
    let visibleResets = 0;
    for (const [id, ms] of delivered) {
      const rs = measured.get(id) ?? [];
      const oneInterval = (maxPower.get(id) ?? 0) / 60 + 0.001;
      for (const [i, m] of ms.entries()) {
        if (!m.fault) continue;
        checked[m.fault] = (checked[m.fault] ?? 0) + 1;
        const r = m.payload as TelemetryPayload;
        const k = rs.indexOf(r);
        const prev = rs[k - 1];
        const next = rs[k + 1];
        assert.ok(prev, `${m.fault} of ${id} at ${r.ts} has no earlier reading`);
        const why = `${m.fault} of ${id} at ${r.ts}`;
        switch (m.fault) {
          case "duplicate":
            assert.deepEqual(r, ms[i - 1]?.payload, why);
            break;
          case "out_of_order": {
            const before = ms[i - 1]?.payload as TelemetryPayload;
            assert.equal(Date.parse(before.ts) - Date.parse(r.ts), 60_000, why);
            break;
          }
          case "reboot":
            assert.notEqual(r.boot_id, prev.boot_id, why);
            assert.equal(r.seq, 0, why);
            assert.ok(r.energy_wh_total <= oneInterval, why);
            break;
          case "reset":
            assert.equal(r.boot_id, prev.boot_id, why);
            assert.equal(r.seq, prev.seq + 1, why);
            assert.ok(r.energy_wh_total <= oneInterval, why);
            if (prev.energy_wh_total - r.energy_wh_total > 1) visibleResets += 1;
            break;
          case "dip":
            assert.ok(Math.abs(prev.energy_wh_total - DIP_WH - r.energy_wh_total) < 1e-6, why);
            assert.ok(!next || next.energy_wh_total >= prev.energy_wh_total, why);
            break;
          case "glitch":
            assert.ok(
              r.energy_wh_total === 0 || r.energy_wh_total >= prev.energy_wh_total + SPIKE_WH - 1,
              why,
            );
            assert.ok(!next || next.energy_wh_total >= prev.energy_wh_total, `${why}: not back to normal`);
            break;
          case "gap":
            assert.ok(Date.parse(r.ts) - Date.parse(prev.ts) >= 3 * 60_000, why);
            assert.ok(r.seq - prev.seq >= 3, why);
            break;
        }
      }
    }
    assert.deepEqual(Object.keys(checked).sort(), [...FAULT_KINDS].sort());
    assert.ok(visibleResets > 0);
  });

test("faults: a gap swallows several readings, then the next one carries the label", () => {
  const onlyGaps = Object.fromEntries(FAULT_KINDS.map((k) => [k, k === "gap" ? 1 : 0])) as FaultRates;
  const rng = mulberry32(3);
  // After a first, clean reading: a device's first reading is never faulted.
  let state: FaultState = { ...initialFaultState(), prevEnergy: 100 };
  const plans = Array.from({ length: 200 }, () => {
    const plan = planFault(state, onlyGaps, rng);
    state = plan.state;
    return plan;
  });
  const firstLoud = plans.findIndex((p) => !p.silent);
  assert.ok(firstLoud >= 3 && firstLoud <= 120);
  assert.equal(plans[firstLoud]?.fault, "gap");
});

test("faults: rates of zero leave a kind out", () => {
  const rates = { ...DEFAULT_FAULT_RATES, duplicate: 0, out_of_order: 0 };
  const kinds = new Set(
    telemetry([...generate({ ...options, faults: rates })]).flatMap((m) => (m.fault ? [m.fault] : [])),
  );
  assert.ok(!kinds.has("duplicate") && !kinds.has("out_of_order") && kinds.has("reset"));
});
