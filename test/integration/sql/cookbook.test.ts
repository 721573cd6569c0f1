// Runs every ```sql block of docs/sql.md against the real QuestDB, over a small known dataset of this run's own
// sites and devices, and checks the numbers of most of them. A block's `:name` placeholders become `$n`
// parameters, numbered in order of first appearance, as the doc tells analysts to bind them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import pg from "pg";
import type { CostVersion } from "../../../pipelines/core/cost.ts";
import type { Reading } from "../../../pipelines/core/reading.ts";
import type { MeterReplacement } from "../../../pipelines/core/replacement.ts";
import { ensureLedgerTables } from "../../../schemas/questdb/ledger.ts";
import { reading, rowCounts, seedLedger, waitForRows } from "../../support/ledger-seed.ts";
import { config, unique } from "../../support/stack.ts";

const H = 3_600_000;
const DAY = 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();

// The data lies in the previous calendar month, for the queries relative to now(): D1 is its first Monday
// (so both days share a week), D2 the day after.
const today = new Date();
const lastMonth = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1);
const D1 = lastMonth + ((8 - new Date(lastMonth).getUTCDay()) % 7) * DAY;
const D2 = D1 + DAY;

const tag = unique("cookbook");
const A = `${tag}-site-a`; // UTC devices, EUR 0.20/kWh
const B = `${tag}-site-b`; // Asia/Kolkata, INR 8/kWh
const a1 = `${tag}-a1`; // roof: 100 Wh/h; a glitch on D1 12:30; no readings D2 03:00–09:00 (an 8 h gap)
const a2 = `${tag}-a2`; // carport: 50 Wh/h; the counter restarts at D2 12:00
const b1 = `${tag}-b1`; // 10 Wh/h over its local days; a 5000 Wh jump at local D2 12:00
const ids = [a1, a2, b1];
// Apart from the sites above (not in `ours`): 100 Wh/h; its meter replaced at D1 12:30 (old at 1250 Wh, new from 0).
const C = `${tag}-site-c`;
const c1 = `${tag}-c1`;
const ours = new Set<unknown>([...ids, A, B]);

function a1Readings(): Reading[] {
  const readings = [reading(a1, iso(D1 + 12.5 * H), 0, 0)];
  for (let h = 0; h <= 48; h++)
    if (h < 27 || h > 33) readings.push(reading(a1, iso(D1 + h * H), 100 * h, 100));
  return readings;
}
const a2Readings = () =>
  Array.from({ length: 49 }, (_, h) => reading(a2, iso(D1 + h * H), h < 36 ? 50 * h : 5 + 50 * (h - 36), 50));
const b1Readings = () =>
  Array.from({ length: 49 }, (_, k) =>
    reading(b1, iso(D1 - 5.5 * H + k * H), k < 36 ? 10 * k : 10 * k + 5000, 10),
  );

const c1Readings = () =>
  Array.from({ length: 49 }, (_, h) => reading(c1, iso(D1 + h * H), h <= 12 ? 100 * h : 50 + 100 * (h - 13)));
const c1Replacement: MeterReplacement = {
  kind: "meter_replacement",
  device_id: c1,
  ts: D1 + 12.5 * H,
  old_final_wh_total: 1250,
  new_initial_wh_total: 0,
};

const versions: CostVersion[] = [
  { cost_per_kwh: 0.2, currency: "EUR", effective_from: 0, scope: { kind: "site", site_id: A } },
  { cost_per_kwh: 8, currency: "INR", effective_from: 0, scope: { kind: "site", site_id: B } },
];

// Timestamps as ISO strings and LONGs as numbers, whatever the process's time zone.
const questdb = new pg.Pool({
  connectionString: config.questdb.pgUrl,
  max: 2,
  types: {
    getTypeParser: ((oid: number, format?: "text" | "binary") => {
      if (oid === pg.types.builtins.TIMESTAMP)
        return (s: string) => iso(Date.parse(`${s.replace(" ", "T")}Z`));
      if (oid === pg.types.builtins.INT8) return Number;
      return pg.types.getTypeParser(oid, format);
    }) as typeof pg.types.getTypeParser,
  },
});

type Row = Record<string, unknown>;

interface Case {
  params?: Record<string, string>;
  check?: (rows: Row[]) => void;
}

const range = { from: iso(D1 - DAY), to: iso(D2 + 2 * DAY) };
const defaults: Record<string, string> = {
  site_id: A,
  device_id: a1,
  timezone: "Asia/Kolkata",
  ...range,
};
const mine = (rows: Row[]) => rows.filter((r) => ours.has(r.device_id) || ours.has(r.site_id));

const cases: Record<string, Case> = {
  "Energy per site per day, last month": {
    check: (rows) =>
      assert.deepEqual(mine(rows), [
        { day: iso(D1), site_id: A, energy_kwh: 3.6 },
        { day: iso(D1), site_id: B, energy_kwh: 0.24 },
        { day: iso(D2), site_id: A, energy_kwh: 3.555 },
        { day: iso(D2), site_id: B, energy_kwh: 5.24 },
      ]),
  },
  "Top 10 devices by energy yesterday": {
    check: (rows) => assert.ok(rows.length <= 10),
  },
  "Energy per group of a site": {
    check: (rows) =>
      assert.deepEqual(rows, [
        { group_name: "roof", devices: 1, energy_kwh: 4.8 },
        { group_name: "carport", devices: 1, energy_kwh: 2.355 },
      ]),
  },
  "Share of each device in its site": {
    // QuestDB's round() leaves binary noise (32.910000000000004): compared to two decimals.
    check: (rows) =>
      assert.deepEqual(
        mine(rows).map((r) => ({ ...r, share_pct: Number((r.share_pct as number).toFixed(2)) })),
        [
          { site_id: A, device_id: a1, energy_wh: 4800, share_pct: 67.09 },
          { site_id: A, device_id: a2, energy_wh: 2355, share_pct: 32.91 },
          { site_id: B, device_id: b1, energy_wh: 5480, share_pct: 100 },
        ],
      ),
  },
  "Hourly profile of a site in its local time": {
    params: { site_id: B },
    check: (rows) =>
      assert.deepEqual(
        rows,
        Array.from({ length: 24 }, (_, h) =>
          h === 11
            ? { local_hour: 11, energy_wh: 5020, avg_wh_per_device_hour: 2510 }
            : { local_hour: h, energy_wh: 20, avg_wh_per_device_hour: 10 },
        ),
      ),
  },
  "A site's energy per local date, from the group rows": {
    check: (rows) =>
      assert.deepEqual(rows, [
        { day: iso(D1), site_id: A, energy_wh: 3600, device_rows: 2 },
        { day: iso(D2), site_id: A, energy_wh: 3555, device_rows: 2 },
      ]),
  },
  "A site's cost per currency, from the group rows": {
    check: (rows) => assert.deepEqual(rows, [{ site_id: A, currency: "EUR", energy_kwh: 7.155, cost: 1.43 }]),
  },
  "A site's hours, from the group rows": {
    check: (rows) => {
      assert.equal(rows.length, 48);
      assert.equal(
        rows.reduce((s, r) => s + (r.energy_wh as number), 0),
        7155,
      );
      assert.deepEqual(rows[0], {
        hour_start: iso(D1),
        local_date: iso(D1).slice(0, 10),
        energy_wh: 150,
        low_confidence_rows: 0,
      });
    },
  },
  "Cost per site per month": {
    check: (rows) =>
      assert.deepEqual(mine(rows), [
        { month: iso(lastMonth), site_id: A, currency: "EUR", energy_kwh: 7.155, cost: 1.43 },
        { month: iso(lastMonth), site_id: B, currency: "INR", energy_kwh: 5.48, cost: 43.84 },
      ]),
  },
  "Average and peak power of a device, hour by hour": {
    params: { from: iso(D2), to: iso(D2 + DAY) },
    check: (rows) =>
      assert.deepEqual(
        rows,
        Array.from({ length: 24 }, (_, h) => {
          const silent = h >= 3 && h <= 9;
          return { ts: iso(D2 + h * H), avg_w: silent ? null : 100, peak_w: silent ? null : 100 };
        }),
      ),
  },
  "Daily peak power of each device of a site, in local days": {
    params: { site_id: B, from: iso(D1 - 5.5 * H), to: iso(D2 + 18.5 * H) },
    check: (rows) =>
      assert.deepEqual(rows, [
        { ts: iso(D1 - 5.5 * H), device_id: b1, peak_w: 10, avg_w: 10 },
        { ts: iso(D2 - 5.5 * H), device_id: b1, peak_w: 10, avg_w: 10 },
      ]),
  },
  "When each device of a site last reported": {
    check: (rows) =>
      assert.deepEqual(
        [...rows].sort((x, y) => String(x.device_id).localeCompare(String(y.device_id))),
        [
          { device_id: a1, last_seen: iso(D2 + DAY), energy_wh_total: 4800, power_w: 100 },
          { device_id: a2, last_seen: iso(D2 + DAY), energy_wh_total: 605, power_w: 50 },
        ],
      ),
  },
  "Days with resets": {
    check: (rows) =>
      assert.deepEqual(mine(rows), [
        { day: iso(D2), device_id: a2, resets: 1, energy_wh: 1155, confidence: "low" },
      ]),
  },
  "A device's energy across a meter replacement": {
    params: { device_id: c1 },
    check: (rows) =>
      assert.deepEqual(rows, [
        { day: iso(D1), energy_wh: 2400, replacements: 1, resets: 0, confidence: "medium" },
        { day: iso(D2), energy_wh: 2400, replacements: 0, resets: 0, confidence: "medium" },
      ]),
  },
  "Devices with low-confidence hours": {
    check: (rows) =>
      assert.deepEqual(mine(rows), [
        { device_id: a1, low_hours: 8, energy_wh: 800 },
        { device_id: a2, low_hours: 1, energy_wh: 5 },
        { device_id: b1, low_hours: 1, energy_wh: 5010 },
      ]),
  },
  "Anomalies per type per week": {
    check: (rows) =>
      assert.deepEqual(mine(rows), [
        { week: iso(D1), site_id: A, type: "glitch_dropped", anomalies: 1 },
        { week: iso(D1), site_id: B, type: "implausible_jump", anomalies: 1 },
      ]),
  },
  "Ledger intervals longer than 6 hours (gaps)": {
    check: (rows) =>
      assert.deepEqual(mine(rows), [
        {
          device_id: a1,
          from_ts: iso(D2 + 2 * H),
          to_ts: iso(D2 + 10 * H),
          hours: 8,
          delta_wh: 800,
          confidence: "low",
        },
      ]),
  },
};

/** Each ```sql block of the doc with the `###` heading it stands under. */
function cookbook(): { title: string; sql: string }[] {
  const text = readFileSync(new URL("../../../docs/sql.md", import.meta.url), "utf8");
  const blocks: { title: string; sql: string }[] = [];
  let title = "";
  for (const m of text.matchAll(/^### (.+)$|^```sql\n([\s\S]*?)^```$/gm)) {
    if (m[1] !== undefined) title = m[1];
    else blocks.push({ title, sql: m[2] ?? "" });
  }
  return blocks;
}

/** `:name` → `$n` (numbered by first appearance) and the values in that order. */
function bind(sql: string, values: Record<string, string>): { text: string; params: string[] } {
  const names: string[] = [];
  const text = sql.replace(/(?<![:\w]):([a-z_][a-z0-9_]*)/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for :${name}`);
    if (!names.includes(name)) names.push(name);
    return `$${names.indexOf(name) + 1}`;
  });
  return { text, params: names.map((n) => values[n] as string) };
}

before(async () => {
  await ensureLedgerTables(questdb);
  const rows = await seedLedger(
    [
      {
        settings: { device_id: a1 },
        readings: a1Readings(),
        site_id: A,
        group_name: "roof",
        kind: "inverter",
      },
      {
        settings: { device_id: a2 },
        readings: a2Readings(),
        site_id: A,
        group_name: "carport",
        kind: "meter",
      },
      {
        settings: { device_id: b1, timezone: "Asia/Kolkata", max_power_w: 1000 },
        readings: b1Readings(),
        site_id: B,
        group_name: "north",
        kind: "meter",
      },
      { settings: { device_id: c1 }, readings: c1Readings(), replacements: [c1Replacement], site_id: C },
    ],
    versions,
  );
  await waitForRows(questdb, [...ids, c1], rowCounts(rows, ids.length + 1));
});

after(() => questdb.end());

test("cookbook: the doc has at least ten queries, each under its own heading", () => {
  const blocks = cookbook();
  assert.ok(blocks.length >= 10, `${blocks.length} queries`);
  assert.equal(new Set(blocks.map((b) => b.title)).size, blocks.length);
  assert.ok(Object.values(cases).filter((c) => c.check).length >= 5);
});

for (const { title, sql } of cookbook()) {
  test(`cookbook: ${title}`, async () => {
    const c = cases[title] ?? {};
    const { text, params } = bind(sql, { ...defaults, ...c.params });
    const { rows } = await questdb.query<Row>(text, params);
    c.check?.(rows);
  });
}
