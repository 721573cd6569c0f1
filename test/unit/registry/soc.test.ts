import assert from "node:assert/strict";
import { test } from "node:test";
import { meanSoc, systemSoc } from "../../../pipelines/registry/soc.ts";

const at = (iso: string) => new Date(iso);

test("soc: a battery array's SOC is the mean of its packs' known SOCs", () => {
  assert.deepEqual(meanSoc([{ soc_pct: 80 }, { soc_pct: null }, { soc_pct: 60 }]), {
    soc_pct: 70,
    known: 2,
    of: 3,
  });
  assert.deepEqual(meanSoc([{ soc_pct: null }]), { soc_pct: null, known: 0, of: 1 });
  assert.deepEqual(meanSoc([]), { soc_pct: null, known: 0, of: 0 });
});

test("soc: values outside 0–100 or not finite are unknown", () => {
  assert.deepEqual(meanSoc([{ soc_pct: 101 }, { soc_pct: -1 }, { soc_pct: Number.NaN }, { soc_pct: 0 }]), {
    soc_pct: 0,
    known: 1,
    of: 4,
  });
});

test("soc: a system's SOC comes from its packs when any pack is known", () => {
  const packs = [{ soc_pct: 90 }, { soc_pct: null }];
  const inverters = [{ soc_pct: 10 }];
  assert.deepEqual(systemSoc(packs, inverters), { soc_pct: 90, known: 1, of: 2, source: "packs" });
});

test("soc: else from its inverters, else unknown", () => {
  const packs = [{ soc_pct: null }];
  assert.deepEqual(systemSoc(packs, [{ soc_pct: 40 }, { soc_pct: 50 }, { soc_pct: null }]), {
    soc_pct: 45,
    known: 2,
    of: 3,
    source: "inverters",
  });
  assert.deepEqual(systemSoc([], [{ soc_pct: null }]), { soc_pct: null, known: 0, of: 1, source: null });
});

test("soc: with a maximum age, stale or undated samples are unknown", () => {
  const now = at("2025-06-01T12:00:00Z");
  const packs = [
    { soc_pct: 20, observed_at: at("2025-06-01T11:59:00Z") },
    { soc_pct: 90, observed_at: at("2025-05-31T12:00:00Z") },
    { soc_pct: 50, observed_at: null },
  ];
  assert.deepEqual(meanSoc(packs, { now, maxAgeS: 600 }), { soc_pct: 20, known: 1, of: 3 });
  const inverters = [{ soc_pct: 30, observed_at: at("2025-06-01T11:58:00Z") }];
  const stalePacks = packs.slice(1);
  assert.deepEqual(systemSoc(stalePacks, inverters, { now, maxAgeS: 600 }), {
    soc_pct: 30,
    known: 1,
    of: 1,
    source: "inverters",
  });
});
