// Re-pricing after a new cost version: every stored hour it now prices, from its effective_from on, whose cost or
// currency changes is rewritten whole, and so is each day holding such an hour, its cost being the sum of its
// hours' costs (as the ledger's sink sums them). Walks the tables a week of local dates at a time, skipping gaps.
import type pg from "pg";
import type { RowSender } from "../../ground/questdb.ts";
import { type CostVersion, costOf, dayCost, repricedBy } from "../core/cost.ts";
import {
  DAY_MS,
  dayStart,
  firstHourFrom,
  queryDays,
  queryHours,
  type RowFilter,
  type StoredHour,
  writeDay,
  writeHour,
} from "../ledger/energy-rows.ts";

export interface Repriced {
  hours: number;
  days: number;
  devices: number;
}

const WINDOW_DAYS = 7;
/**
 * Rows per ILP request. A week of a large fleet's hours is more than one request may hold (10,000 devices: 1.7 M
 * hours, past the client's 100 MB buffer); each flush is a WAL transaction of its own, which the upserts allow.
 */
const FLUSH_ROWS = 50_000;

/** Equal up to the last bits of a double; a real change of rate or energy is far larger. */
const same = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * `versions` in creation order, `added` among them; `sites` maps device to site (the registry). Rows are only ever
 * rewritten with values computed from what was read, so a run can be repeated.
 */
export async function reprice(
  questdb: pg.Pool,
  sender: RowSender,
  sites: ReadonlyMap<string, string>,
  versions: readonly CostVersion[],
  added: CostVersion,
  flushRows = FLUSH_ROWS,
): Promise<Repriced> {
  const filter = scopeFilter(added, sites);
  const devices = new Set<string>();
  let hours = 0;
  let days = 0;
  let unflushed = 0;
  const written = async () => {
    if (++unflushed < flushRows) return;
    await sender.flush();
    unflushed = 0;
  };
  // Local dates are named by their UTC midnight; a local date's hours start from 14 h before it to 37 h after.
  let date = Math.floor(added.effective_from / DAY_MS) * DAY_MS - DAY_MS;
  let scanFrom = added.effective_from;
  for (;;) {
    const next = await firstHourFrom(questdb, scanFrom, filter);
    if (next === null) break;
    const a = Math.max(date, Math.floor(next / DAY_MS) * DAY_MS - DAY_MS);
    const b = a + WINDOW_DAYS * DAY_MS;
    const stored = (await queryHours(questdb, a - DAY_MS, b + 2 * DAY_MS, filter)).filter((h) => {
      const d = dayStart(h.local_date);
      return d >= a && d < b;
    });
    const byDay = new Map<string, StoredHour[]>();
    const changedDays = new Set<string>();
    for (const h of stored) {
      const key = `${h.device_id}|${h.local_date}`;
      const list = byDay.get(key);
      if (list) list.push(h);
      else byDay.set(key, [h]);
      const site = sites.get(h.device_id);
      const target = { device_id: h.device_id, ...(site ? { site_id: site } : {}) };
      if (h.energy_wh === null || !repricedBy(versions, added, target, h.hour_start)) continue;
      const priced = costOf(h.energy_wh, added);
      if (same(h.cost, priced.cost) && h.currency === priced.currency) continue;
      // Updated in place: the day's sum below sees the new cost.
      h.cost = priced.cost;
      h.currency = priced.currency;
      await writeHour(sender, h);
      await written();
      hours++;
      devices.add(h.device_id);
      changedDays.add(key);
    }
    for (const d of await queryDays(questdb, a, b, filter)) {
      const dayHours = byDay.get(`${d.device_id}|${d.date}`);
      if (!dayHours || !changedDays.has(`${d.device_id}|${d.date}`)) continue;
      dayHours.sort((x, y) => x.hour_start - y.hour_start);
      const { cost, currency } = dayCost(dayHours);
      if (same(d.cost, cost) && d.currency === currency) continue;
      await writeDay(sender, { ...d, cost, currency });
      await written();
      days++;
    }
    await sender.flush();
    unflushed = 0;
    date = b;
    scanFrom = b - DAY_MS;
  }
  return { hours, days, devices: devices.size };
}

function scopeFilter(v: CostVersion, sites: ReadonlyMap<string, string>): RowFilter {
  if (v.scope.kind === "global") return {};
  if (v.scope.kind === "device") return { devices: [v.scope.device_id] };
  const site = v.scope.site_id;
  return { devices: [...sites].filter(([, s]) => s === site).map(([d]) => d) };
}
