import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type CostVersion,
  costOf,
  dayCost,
  rateFor,
  repricedBy,
  solarFigures,
} from "../../../pipelines/core/cost.ts";

const t = (iso: string) => Date.parse(iso);
const version = (cost_per_kwh: number, from: string, scope: CostVersion["scope"]): CostVersion => ({
  cost_per_kwh,
  currency: "INR",
  effective_from: t(from),
  scope,
});

const global1 = version(7, "2025-01-01T00:00:00Z", { kind: "global" });
const global2 = version(8, "2025-03-01T00:00:00Z", { kind: "global" });
const site = version(6, "2025-02-01T00:00:00Z", { kind: "site", site_id: "s1" });
const device = version(5, "2025-04-01T00:00:00Z", { kind: "device", device_id: "d1" });
const versions = [global1, global2, site, device];
const d1 = { device_id: "d1", site_id: "s1" };

test("the most specific scope in force wins, and within it the latest effective_from at or before the hour", () => {
  assert.equal(rateFor(versions, d1, t("2025-01-15T00:00:00Z")), global1);
  assert.equal(rateFor(versions, d1, t("2025-02-01T00:00:00Z")), site);
  assert.equal(rateFor(versions, d1, t("2025-03-15T00:00:00Z")), site);
  assert.equal(rateFor(versions, d1, t("2025-04-01T00:00:00Z")), device);
  assert.equal(rateFor(versions, { device_id: "d2" }, t("2025-04-01T00:00:00Z")), global2);
  assert.equal(rateFor(versions, { device_id: "d2", site_id: "s2" }, t("2024-12-31T23:00:00Z")), null);
});

test("a correction (same scope and effective_from, created later) wins; a past version re-prices", () => {
  const correction = version(6.5, "2025-02-01T00:00:00Z", { kind: "site", site_id: "s1" });
  const all = [...versions, correction];
  assert.equal(rateFor(all, d1, t("2025-02-10T00:00:00Z")), correction);
  assert.ok(repricedBy(all, correction, d1, t("2025-02-10T00:00:00Z")));
  assert.ok(!repricedBy(all, correction, d1, t("2025-01-10T00:00:00Z")));
  assert.ok(!repricedBy(all, correction, d1, t("2025-04-10T00:00:00Z")));
  assert.ok(!repricedBy(all, correction, { device_id: "d9", site_id: "s9" }, t("2025-02-10T00:00:00Z")));
});

test("cost = energy in kWh × rate; solar savings, CO2 (0.5 kg/kWh by default) and trees (21 kg/tree-year)", () => {
  assert.deepEqual(costOf(2500, global1), { cost: 17.5, currency: "INR" });
  assert.deepEqual(solarFigures(42_000, 8), { savings: 336, co2_offset_kg: 21, trees_equivalent: 1 });
  assert.deepEqual(solarFigures(1000, 8, 0.82).co2_offset_kg, 0.82);
});

test("a day's cost is the sum of its priced hours, in the first priced hour's currency", () => {
  assert.deepEqual(dayCost([{ cost: null, currency: null }]), { cost: null, currency: null });
  assert.deepEqual(
    dayCost([
      { cost: null, currency: null },
      { cost: 0.5, currency: "EUR" },
      { cost: 0.25, currency: "EUR" },
    ]),
    { cost: 0.75, currency: "EUR" },
  );
});
