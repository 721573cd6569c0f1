// Power analytics of a device group (devices.group_name, e.g. a classroom) on one local date, seed 004's summary and
// timeline: each device's own local date (energy_daily.day, energy_hourly.local_date), summed by QuestDB.
import type pg from "pg";
import { z } from "zod";
import { type SiteScope, siteScope } from "../auth/scope.ts";
import { rows } from "../db.ts";
import { localTime, nextDate } from "../energy/local-time.ts";
import { dayTotals, deviceDays, hourTotals } from "../energy/rollups.ts";
import { notFound } from "../errors.ts";
import { defineRoute } from "../openapi/route.ts";
import { Name, RegistryKey, Timestamp } from "../schemas.ts";

const Query = z.strictObject({
  group: Name.meta({ description: "devices.group_name" }),
  date: z.iso.date().meta({ description: "local date, YYYY-MM-DD" }),
  site_id: RegistryKey.optional().meta({ description: "only the group's devices of this site" }),
});

const Confidence = z.enum(["high", "medium", "low"]).nullable();
const Cost = { cost: z.number().nullable(), currency: z.string().nullable() };

const Hour = z.object({
  hour_start: Timestamp,
  local_time: z.string(),
  energy_wh: z.number(),
  ...Cost,
  confidence: Confidence,
  devices: z.number().int(),
});

const GroupOut = {
  group: z.string(),
  site_id: z.string().nullable(),
  date: z.iso.date(),
  timezone: z.string().meta({ description: "the devices' zone; UTC when they have different zones" }),
  devices: z.number().int().meta({ description: "devices in the group (registry)" }),
};

const Summary = z.object({
  ...GroupOut,
  reporting_devices: z.number().int(),
  energy_wh: z.number(),
  ...Cost,
  resets: z.number().int(),
  confidence: Confidence,
  peak_hour: z
    .object({ hour_start: Timestamp, local_time: z.string(), energy_wh: z.number() })
    .nullable()
    .meta({ description: "the hour with the most energy (the earliest of equal ones)" }),
  per_device: z.array(
    z.object({
      device_id: z.string(),
      energy_wh: z.number(),
      ...Cost,
      resets: z.number().int(),
      hours: z.number().int(),
      confidence: Confidence,
    }),
  ),
  silent_devices: z.array(z.string()).meta({ description: "devices of the group without a row that day" }),
});

interface Group {
  devices: string[];
  timezone: string;
}

/** The group's devices of `siteId` (when given) among the key's sites. */
async function groupDevices(
  db: pg.Pool,
  group: string,
  siteId: string | undefined,
  scope: SiteScope,
): Promise<Group> {
  const found = await rows<{ device_id: string; timezone: string }>(
    db,
    `SELECT device_id, timezone FROM devices WHERE group_name = $1 AND ($2::text IS NULL OR site_id = $2)
     AND ($3::text[] IS NULL OR site_id = ANY($3)) ORDER BY device_id`,
    [group, siteId ?? null, scope ?? null],
  );
  if (found.length === 0) throw notFound("device group", group);
  const zones = new Set(found.map((d) => d.timezone));
  const [only] = zones;
  return { devices: found.map((d) => d.device_id), timezone: zones.size === 1 && only ? only : "UTC" };
}

export function analyticsRoutes(db: pg.Pool, questdb: pg.Pool) {
  const hours = async (g: Group, date: string) =>
    (await hourTotals(questdb, g.devices, { date })).map(({ hour_start, ...h }) => ({
      hour_start: new Date(hour_start).toISOString(),
      local_time: localTime(hour_start, g.timezone),
      ...h,
    }));
  const head = (q: z.output<typeof Query>, g: Group) => ({
    group: q.group,
    site_id: q.site_id ?? null,
    date: q.date,
    timezone: g.timezone,
    devices: g.devices.length,
  });
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/analytics/summary",
      operationId: "getAnalyticsSummary",
      summary: "A device group's energy on a local date: total, cost, peak hour, per-device breakdown",
      tag: "analytics",
      role: "viewer",
      request: { query: Query },
      response: { status: 200, description: "The day's summary", schema: Summary },
      handler: async ({ query }, c) => {
        const g = await groupDevices(db, query.group, query.site_id, siteScope(c));
        const [[total], perDevice, timeline] = await Promise.all([
          dayTotals(questdb, g.devices, query.date, nextDate(query.date)),
          deviceDays(questdb, g.devices, query.date),
          hours(g, query.date),
        ]);
        const peak = timeline.reduce<(typeof timeline)[number] | undefined>(
          (best, h) => (best === undefined || h.energy_wh > best.energy_wh ? h : best),
          undefined,
        );
        const reporting = new Set(perDevice.map((d) => d.device_id));
        return {
          ...head(query, g),
          reporting_devices: reporting.size,
          energy_wh: total?.energy_wh ?? 0,
          cost: total?.cost ?? null,
          currency: total?.currency ?? null,
          resets: total?.resets ?? 0,
          confidence: total?.confidence ?? null,
          peak_hour: peak
            ? { hour_start: peak.hour_start, local_time: peak.local_time, energy_wh: peak.energy_wh }
            : null,
          per_device: perDevice,
          silent_devices: g.devices.filter((d) => !reporting.has(d)),
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/analytics/timeline",
      operationId: "getAnalyticsTimeline",
      summary: "A device group's energy per hour of a local date",
      description: "Hours without any row are absent.",
      tag: "analytics",
      role: "viewer",
      request: { query: Query },
      response: {
        status: 200,
        description: "The hours, oldest first",
        schema: z.object({ ...GroupOut, hours: z.array(Hour) }),
      },
      handler: async ({ query }, c) => {
        const g = await groupDevices(db, query.group, query.site_id, siteScope(c));
        return { ...head(query, g), hours: await hours(g, query.date) };
      },
    }),
  ];
}
