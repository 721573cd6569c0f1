import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool, questdbSender } from "../../../ground/questdb.ts";
import { computeDevice, type DeviceResult } from "../../../pipelines/core/batch.ts";
import { zoneClock } from "../../../pipelines/core/hours.ts";
import type { Reading } from "../../../pipelines/core/reading.ts";
import { defaultSettings } from "../../../pipelines/core/settings.ts";
import { addCostVersion } from "../../../pipelines/cost/add.ts";
import { reprice } from "../../../pipelines/cost/reprice.ts";
import { CostInputError } from "../../../pipelines/cost/versions.ts";
import { LedgerRows } from "../../../pipelines/ledger/sink.ts";
import { config, unique } from "../../support/stack.ts";
import { type DeviceRows, deviceRows, poll, relClose } from "./support.ts";

const H = 3_600_000;
const start = Date.UTC(2002, 2, 4);
// Fixed, so that a rerun's identical global version re-prices no other device's rows again.
const GLOBAL = { cost_per_kwh: 0.25, currency: "EUR", effective_from: "2002-03-03T00:00:00Z" } as const;
const deviceFrom = start + 36 * H;
const site = unique("cost-site");
const [subject, neighbour] = [unique("cost-dev"), unique("cost-dev")];
const settings = (id: string) => ({ ...defaultSettings(id), timezone: "Europe/Berlin" });
const pool = postgresPool(config, 1);
const questdb = questdbPool(config, 2);

/** Three days of readings every 15 minutes. */
function readings(id: string): Reading[] {
  return Array.from({ length: 3 * 96 }, (_, i) => ({
    device_id: id,
    ts: start + i * 900_000,
    energy_wh_total: 500 + i * 37.5 + (i % 5),
  }));
}

const batches = new Map<string, DeviceResult>(
  [subject, neighbour].map((id) => [id, computeDevice(readings(id), settings(id))]),
);
const stored = (id: string) => deviceRows(questdb, id);

/** Hourly cost is energy × the rate in force; daily cost the sum of the day's hourly costs. */
function assertPriced(
  rows: DeviceRows,
  rateAt: (hourStart: number) => { rate: number; currency: string },
): void {
  for (const h of rows.hours) {
    const { rate, currency } = rateAt(h.hour_start);
    assert.ok(
      relClose(h.cost, ((h.energy_wh ?? Number.NaN) / 1000) * rate),
      `hour ${new Date(h.hour_start).toISOString()}`,
    );
    assert.equal(h.currency, currency);
  }
  for (const d of rows.days) {
    const sum = rows.hours.filter((h) => h.local_date === d.date).reduce((s, h) => s + (h.cost ?? 0), 0);
    assert.ok(relClose(d.cost, sum), `day ${d.date}: ${d.cost} ≠ Σ hourly ${sum}`);
  }
}

function pricedConsistently(rows: DeviceRows, rateAt: Parameters<typeof assertPriced>[1]): boolean {
  try {
    assertPriced(rows, rateAt);
    return true;
  } catch {
    return false;
  }
}

const pricedAs = (rate: number, currency: string) => (rows: DeviceRows) =>
  rows.hours.length > 0 &&
  rows.hours.every(
    (h) => h.currency === currency && relClose(h.cost, ((h.energy_wh ?? Number.NaN) / 1000) * rate),
  );

before(async () => {
  await pool.query("INSERT INTO sites (id, name, timezone) VALUES ($1, 'cost test', 'Europe/Berlin')", [
    site,
  ]);
  for (const id of [subject, neighbour])
    await pool.query(
      "INSERT INTO devices (device_id, site_id, kind, timezone) VALUES ($1, $2, 'meter', 'Europe/Berlin')",
      [id, site],
    );
  // The ledger's rows as the sink writes them, unpriced (no versions).
  const rows = new LedgerRows();
  for (const [id, b] of batches) {
    const entry = { settings: settings(id), site_id: site, system_id: null, group_name: null, kind: "meter" };
    rows.addStep(id, { outputs: [], hours: b.hourly, days: b.daily, dayHours: b.hourly }, entry, []);
  }
  const sender = await questdbSender(config);
  await rows.writeTo(sender);
  await sender.flush();
  await sender.close();
  for (const [id, b] of batches)
    await poll(
      () => stored(id),
      (r) => r.hours.length === b.hourly.length && r.days.length === b.daily.length,
    );
});

after(async () => {
  await pool.query("DELETE FROM sites WHERE id = $1", [site]);
  await Promise.all([pool.end(), questdb.end()]);
});

test("a global version effective in the past prices the stored hours and days", async () => {
  const added = await addCostVersion(config, { ...GLOBAL, scope: "global", note: "cost.test" });
  assert.equal(added.version.scope, "global");
  assert.equal(added.version.effective_from, "2002-03-03T00:00:00.000Z");
  assert.ok(added.repriced.hours >= 2 * (batches.get(subject)?.hourly.length ?? 0));
  assert.ok(added.repriced.devices >= 2);
  for (const id of [subject, neighbour]) {
    const rows = await poll(() => stored(id), pricedAs(0.25, "EUR"));
    assertPriced(rows, () => ({ rate: 0.25, currency: "EUR" }));
  }
});

test("a device's version with a later effective_from re-prices only that device's later hours", async () => {
  const added = await addCostVersion(config, {
    cost_per_kwh: 0.4,
    currency: "USD",
    effective_from: new Date(deviceFrom).toISOString(),
    scope: "device",
    scope_id: subject,
  });
  const later = batches.get(subject)?.hourly.filter((h) => h.hour_start >= deviceFrom) ?? [];
  const laterDays = new Set(later.map((h) => zoneClock("Europe/Berlin").localDate(h.hour_start)));
  assert.deepEqual(added.repriced, { hours: later.length, days: laterDays.size, devices: 1 });
  const rateAt = (t: number) =>
    t >= deviceFrom ? { rate: 0.4, currency: "USD" } : { rate: 0.25, currency: "EUR" };
  // Hours and days are rewritten in separate WAL transactions: wait until both are visible.
  const rows = await poll(
    () => stored(subject),
    (r) =>
      r.hours.filter((h) => h.currency === "USD").length === later.length && pricedConsistently(r, rateAt),
  );
  assertPriced(rows, rateAt);
  assertPriced(await stored(neighbour), () => ({ rate: 0.25, currency: "EUR" }));
});

test("versions are immutable, and invalid ones are refused before any write", async () => {
  const { rows } = await pool.query<{ id: string }>(
    "SELECT id FROM cost_versions WHERE scope = 'device' AND scope_id = $1",
    [subject],
  );
  const id = rows[0]?.id;
  await assert.rejects(pool.query("UPDATE cost_versions SET cost_per_kwh = 1 WHERE id = $1", [id]), {
    code: "23001",
  });
  await assert.rejects(pool.query("DELETE FROM cost_versions WHERE id = $1", [id]), { code: "23001" });
  const bad = [
    { ...GLOBAL, scope: "global" as const, currency: "eur" },
    { ...GLOBAL, scope: "global" as const, effective_from: "2002-03-03T00:00:00" },
    { ...GLOBAL, scope: "global" as const, cost_per_kwh: -1 },
    { ...GLOBAL, scope: "device" as const, scope_id: unique("no-such-device") },
  ];
  for (const input of bad) await assert.rejects(addCostVersion(config, input), CostInputError);
});

test("re-pricing sends its rows in requests of at most flushRows, not one per week of rows", async () => {
  const sender = await questdbSender(config);
  let flushes = 0;
  const flush = sender.flush.bind(sender);
  sender.flush = () => {
    flushes++;
    return flush();
  };
  const added = {
    cost_per_kwh: 0.33,
    currency: "GBP",
    effective_from: start,
    scope: { kind: "device", device_id: neighbour },
  } as const;
  try {
    const repriced = await reprice(questdb, sender, new Map([[neighbour, site]]), [added], added, 5);
    // Three local days of one device fit one week's window: without the limit, one request for all of them.
    assert.ok(repriced.hours > 0 && repriced.days > 0);
    assert.ok(flushes >= Math.floor((repriced.hours + repriced.days) / 5), `${flushes} requests`);
  } finally {
    await sender.close();
  }
  const rateAt = () => ({ rate: 0.33, currency: "GBP" });
  const rows = await poll(
    () => stored(neighbour),
    (r) => pricedAs(0.33, "GBP")(r) && pricedConsistently(r, rateAt),
  );
  assertPriced(rows, rateAt);
});
