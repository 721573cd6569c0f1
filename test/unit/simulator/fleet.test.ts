import assert from "node:assert/strict";
import { test } from "node:test";
import { createFleet, type DeviceKind } from "../../../connectors/simulator/fleet.ts";

const fleet = (devices: number, seed = 1, timezones = ["Europe/Berlin", "Asia/Kolkata"]) =>
  createFleet({ devices, timezones, intervalMs: 60_000, seed, prefix: "sim" });

test("fleet: ids are readable, unique and the same for every seed", () => {
  const ids = fleet(100).map((d) => d.spec.id);
  for (const id of ids) assert.match(id, /^sim-(inv|bat|mtr|esp|evc)-\d{4}$/);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(
    fleet(100, 2).map((d) => d.spec.id),
    ids,
  );
  assert.deepEqual(
    fleet(5).map((d) => d.spec.id),
    ["sim-inv-0001", "sim-esp-0001", "sim-mtr-0001", "sim-bat-0001", "sim-evc-0001"],
  );
});

test("fleet: a mix of kinds, a few EV chargers, sizes drawn from the seed", () => {
  const devices = fleet(1000);
  const count = (kind: DeviceKind) => devices.filter((d) => d.spec.kind === kind).length;
  assert.deepEqual(
    {
      inverter: count("inverter"),
      classroom: count("classroom"),
      meter: count("meter"),
      battery: count("battery"),
    },
    { inverter: 300, classroom: 300, meter: 200, battery: 150 },
  );
  assert.equal(count("ev_charger"), 50);
  const capacities = (seed: number) =>
    fleet(20, seed).flatMap((d) => (d.model.kind === "inverter" ? [d.model.capacityW] : []));
  assert.notDeepEqual(capacities(1), capacities(2));
  assert.ok(devices.every((d) => d.spec.maxPowerW > 0));
});

test("fleet: sites take the given time zones in turn", () => {
  const zones = ["Europe/Berlin", "Asia/Kolkata", "America/New_York"];
  const devices = fleet(90, 1, zones);
  assert.deepEqual(new Set(devices.map((d) => d.spec.timezone)), new Set(zones));
  for (const d of devices) {
    const sameSite = devices.filter((o) => o.spec.siteId === d.spec.siteId);
    assert.ok(
      sameSite.every((o) => o.spec.timezone === d.spec.timezone && o.spec.latitude === d.spec.latitude),
    );
  }
});

test("fleet: readings are spread over the interval, not all at once", () => {
  const phases = fleet(240).map((d) => d.spec.phaseMs);
  assert.equal(phases[0], 0);
  assert.ok(phases.every((p, i) => p >= 0 && p < 60_000 && (i === 0 || p > (phases[i - 1] ?? 0))));
  assert.equal(phases[120], 30_000);
});
