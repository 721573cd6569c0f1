// Energy of a device, site, inverter array or system per hour and per local day, from the rollups: a device's own
// rows, a group's stored group rows (energy/group-rollups.ts, equal to the sum of its devices' rows), never
// recomputed from readings. Hours start in [from, to); days are the
// local dates whose day starts in [from, to), on the clock the rows were counted in (see energy/scope.ts).
import type { Context } from "hono";
import type pg from "pg";
import { z } from "zod";
import { siteScope } from "../auth/scope.ts";
import { groupDayTotals, groupHourTotals } from "../energy/group-rollups.ts";
import type { GroupRows } from "../energy/group-rows.ts";
import { DAY_MS, datesStartingIn, localTime } from "../energy/local-time.ts";
import { dayTotals, type HourFilter, hourTotals } from "../energy/rollups.ts";
import { checkScope, type EnergyGroup, SCOPE_IDS, SCOPES, type Scope } from "../energy/scope.ts";
import { cachedScopeResolver } from "../energy/scope-cache.ts";
import { defineRoute } from "../openapi/route.ts";
import { Timestamp } from "../schemas.ts";

const MAX_HOURLY_DAYS = 31;
const MAX_DAILY_DAYS = 366;

const ConfidenceOut = z
  .enum(["high", "medium", "low"])
  .nullable()
  .meta({ description: "the lowest confidence among the group's rows; null when none had an interval" });

const CostOut = {
  cost: z.number().nullable().meta({
    description:
      "sum of the rows' cost; null when no cost version priced them or they are priced in more than one currency",
  }),
  currency: z.string().nullable(),
};

const Devices = z.number().int().meta({ description: "devices with a row" });

const Hour = z.object({
  hour_start: Timestamp.meta({ description: "UTC instant at which the local hour starts" }),
  local_time: z.string().meta({ description: "the same instant on the group's clock, with its offset" }),
  energy_wh: z.number(),
  ...CostOut,
  confidence: ConfidenceOut,
  devices: Devices,
});

const Day = z.object({
  date: z.iso.date().meta({ description: "local date" }),
  energy_wh: z.number(),
  ...CostOut,
  resets: z.number().int(),
  hours: z.number().int().meta({ description: "device-hours with energy (a device's day has up to 23–25)" }),
  confidence: ConfidenceOut,
  devices: Devices,
});

const Envelope = {
  scope: z.enum(SCOPES),
  id: z.string(),
  site_id: z.string(),
  timezone: z.string().meta({ description: "the clock of local_time and of the dates" }),
  from: Timestamp,
  to: Timestamp,
  devices: z.number().int().meta({ description: "devices in the group (registry)" }),
};

/** scope, id and an instant range of at most `maxDays`; id checked against what the scope names. */
const rangeQuery = (maxDays: number) =>
  z
    .strictObject({
      scope: z.enum(SCOPES),
      id: z.string().min(1).max(200).meta({ description: "device id, site id, or array/system id" }),
      from: Timestamp.meta({ description: "inclusive, with an offset (percent-encode + as %2B)" }),
      to: Timestamp.meta({ description: `exclusive; at most ${maxDays} days after from` }),
    })
    .superRefine((q, ctx) => {
      const id = SCOPE_IDS[q.scope].safeParse(q.id);
      if (!id.success)
        ctx.addIssue({
          code: "custom",
          path: ["id"],
          message: `not a ${q.scope} id: ${id.error.issues[0]?.message}`,
        });
      const span = Date.parse(q.to) - Date.parse(q.from);
      if (!(span > 0)) ctx.addIssue({ code: "custom", path: ["to"], message: "to must be after from" });
      else if (span > maxDays * DAY_MS)
        ctx.addIssue({ code: "custom", path: ["to"], message: `at most ${maxDays} days after from` });
    });

const HourlyQuery = rangeQuery(MAX_HOURLY_DAYS);
const DailyQuery = rangeQuery(MAX_DAILY_DAYS);

const iso = (t: string) => new Date(t).toISOString();

/** A device's hours from its rows; a site's, system's or array's from its group rows. */
const hoursOf = (
  { questdb, groups }: Sources,
  scope: Scope,
  id: string,
  group: EnergyGroup,
  filter: HourFilter,
) =>
  scope === "device"
    ? hourTotals(questdb, group.devices, filter)
    : groupHourTotals(groups, { kind: scope, id }, filter);

const daysOf = (
  { questdb, groups }: Sources,
  scope: Scope,
  id: string,
  group: EnergyGroup,
  first: string,
  end: string,
) =>
  scope === "device"
    ? dayTotals(questdb, group.devices, first, end)
    : groupDayTotals(groups, { kind: scope, id }, first, end);

/** A device's rows are read from `questdb`, a group's from `groups`. */
interface Sources {
  questdb: pg.Pool;
  groups: GroupRows;
}

/** `groupCacheTtlMs`: how long a node's device ids are reused (energy/scope-cache.ts); 0 reads them every request. */
export function energyRoutes(db: pg.Pool, sources: Sources, groupCacheTtlMs: number) {
  const resolveScope = cachedScopeResolver(db, groupCacheTtlMs);
  /** The node's group, when the key may see it (a 404 otherwise, as for an unknown node). */
  const groupOf = async (q: { scope: Scope; id: string }, c: Context) =>
    checkScope(q.scope, q.id, await resolveScope(q.scope, q.id), siteScope(c));
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/energy/hourly",
      operationId: "getEnergyHourly",
      summary: "Energy per local hour of a device, site, inverter array or system",
      description: `Hours starting in [from, to), at most ${MAX_HOURLY_DAYS} days; a group's hour is the sum of its devices' rows, read from its stored group rows. Hours without any row are absent.`,
      tag: "energy",
      role: "viewer",
      request: { query: HourlyQuery },
      response: {
        status: 200,
        description: "The hours, oldest first",
        schema: z.object({ ...Envelope, rows: z.array(Hour) }),
      },
      handler: async ({ query }, c) => {
        const group = await groupOf(query, c);
        const hours = await hoursOf(sources, query.scope, query.id, group, {
          from: Date.parse(query.from),
          to: Date.parse(query.to),
        });
        return {
          scope: query.scope,
          id: query.id,
          site_id: group.site_id,
          timezone: group.timezone,
          from: iso(query.from),
          to: iso(query.to),
          devices: group.devices.length,
          rows: hours.map(({ hour_start, ...h }) => ({
            hour_start: new Date(hour_start).toISOString(),
            local_time: localTime(hour_start, group.timezone),
            ...h,
          })),
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/energy/daily",
      operationId: "getEnergyDaily",
      summary: "Energy per local day of a device, site, inverter array or system",
      description: `The local dates whose day starts in [from, to), at most ${MAX_DAILY_DAYS} days; a group's day is the sum of its devices' rows, read from its stored group rows. Days without any row are absent.`,
      tag: "energy",
      role: "viewer",
      request: { query: DailyQuery },
      response: {
        status: 200,
        description: "The days, oldest first",
        schema: z.object({ ...Envelope, rows: z.array(Day) }),
      },
      handler: async ({ query }, c) => {
        const group = await groupOf(query, c);
        const { first, end } = datesStartingIn(Date.parse(query.from), Date.parse(query.to), group.timezone);
        return {
          scope: query.scope,
          id: query.id,
          site_id: group.site_id,
          timezone: group.timezone,
          from: iso(query.from),
          to: iso(query.to),
          devices: group.devices.length,
          rows: await daysOf(sources, query.scope, query.id, group, first, end),
        };
      },
    }),
  ];
}
