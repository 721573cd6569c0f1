// The reconciliation's group check: the stored group rows of a local date (schemas/questdb/groups.ts) against the
// same sums computed now from the device rows and the devices mirror. They differ when a view has not refreshed a
// write (it is checked only once the views have caught up), or when a device moved to another group without the
// documented rebuild.
import type pg from "pg";
import { type GroupView, groupQuery, groupViewsCaughtUp } from "../../schemas/questdb/groups.ts";
import type { Ticket } from "./reconcile-check.ts";
import { checkGroups, type GroupFigures } from "./reconcile-groups-check.ts";

const CATCH_UP_MS = 60_000;

const COLUMNS = `cast(%T AS long) t, site_id, system_id, array_id, generation, currency, energy_wh, cost, low, medium,
  high, devices`;

const CHECKS: { view: GroupView; granularity: "hourly" | "daily"; ts: string; where: string }[] = [
  { view: "energy_hourly_groups", granularity: "hourly", ts: "hour_start", where: "local_date = $1" },
  { view: "energy_daily_groups", granularity: "daily", ts: "day", where: "day = $1" },
];

/** Tickets for every group row of these local dates (of these sites, or all) that is not the sum of its device rows. */
export async function groupTickets(
  questdb: pg.Pool,
  dates: readonly string[],
  sites?: readonly string[],
): Promise<Ticket[]> {
  if (!(await groupViewsCaughtUp(questdb, CATCH_UP_MS)))
    throw new Error(`group views did not catch up with the device rows within ${CATCH_UP_MS / 1000} s`);
  const tickets: Ticket[] = [];
  for (const date of dates) {
    for (const { view, granularity, ts, where } of CHECKS) {
      const params = [granularity === "daily" ? `${date}T00:00:00.000Z` : date, ...(sites ?? [])];
      const inSites = sites ? ` AND %Psite_id IN (${sites.map((_, k) => `$${k + 2}`).join(", ")})` : "";
      const columns = COLUMNS.replace("%T", ts);
      const [stored, expected] = await Promise.all([
        questdb.query<GroupFigures>(
          `SELECT ${columns} FROM ${view} WHERE ${where}${inSites.replace("%P", "")}`,
          params,
        ),
        questdb.query<GroupFigures>(
          `SELECT ${columns} FROM (${groupQuery(view, `r.${where}${inSites.replace("%P", "d.")}`)})`,
          params,
        ),
      ]);
      tickets.push(...checkGroups(date, granularity, stored.rows, expected.rows));
    }
  }
  return tickets;
}
