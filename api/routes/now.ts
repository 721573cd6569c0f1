// What the /now views share: the SOC rule of pipelines/registry/soc.ts applied to rows of the registry, and the
// connectivity of the devices that measure each node. Power and energy figures come from QuestDB and are not here.
import { z } from "zod";
import { meanSoc, type SocOptions, type SocSample, systemSoc } from "../../pipelines/registry/soc.ts";
import { type Db, rows } from "../db.ts";
import { Timestamp } from "../schemas.ts";
import { CONNECTIVITY_SQL, Connectivity } from "./devices.ts";

export interface NowOptions {
  /** A stored SOC older than this is unknown; 0 or undefined: any age. */
  socMaxAgeS?: number;
}

export const Soc = z.object({
  soc_pct: z.number().nullable().meta({ description: "mean of the known SOCs; null when none is known" }),
  known: z.number().int().meta({ description: "how many SOCs were known (reported, 0–100, recent enough)" }),
  of: z.number().int(),
});

export const SystemSocOut = Soc.extend({
  source: z
    .enum(["packs", "inverters"])
    .nullable()
    .meta({ description: "packs when any pack SOC is known, else the inverters' view of their battery" }),
});

export const NodeDevice = z
  .object({ device_id: z.string(), connectivity: Connectivity })
  .nullable()
  .meta({ description: "the device measuring this node, null when none is assigned" });

export const NowStamp = { timestamp: Timestamp };

export interface SocRow {
  soc_pct: number | null;
  soc_observed_at: string | null;
}

const samples = (list: readonly SocRow[]): SocSample[] =>
  list.map((r) => ({
    soc_pct: r.soc_pct,
    observed_at: r.soc_observed_at === null ? null : new Date(r.soc_observed_at),
  }));

export const socOptions = (opts: NowOptions, now: Date): SocOptions =>
  opts.socMaxAgeS ? { now, maxAgeS: opts.socMaxAgeS } : { now };

export const meanOf = (list: readonly SocRow[], opts: NowOptions, now: Date) =>
  meanSoc(samples(list), socOptions(opts, now));

export const packsElseInverters = (
  packs: readonly SocRow[],
  inverters: readonly SocRow[],
  opts: NowOptions,
  now: Date,
) => systemSoc(samples(packs), samples(inverters), socOptions(opts, now));

/** A battery array with one of its packs (all pack columns null for an array without packs: an outer join). */
export interface PackRow extends SocRow {
  battery_array_id: number;
  key: string;
  name: string | null;
  pack_id: number | null;
}

/** Battery arrays with the SOC of their packs, in the rows' order, and all their packs. */
export function batteryArraysOf(list: readonly PackRow[], opts: NowOptions, now: Date) {
  const arrays = new Map<number, { id: number; key: string; name: string | null; packs: SocRow[] }>();
  for (const p of list) {
    const entry = arrays.get(p.battery_array_id) ?? {
      id: p.battery_array_id,
      key: p.key,
      name: p.name,
      packs: [],
    };
    if (p.pack_id !== null) entry.packs.push(p);
    arrays.set(p.battery_array_id, entry);
  }
  return {
    arrays: [...arrays.values()].map(({ packs, ...a }) => ({ ...a, soc: meanOf(packs, opts, now) })),
    packs: [...arrays.values()].flatMap((a) => a.packs),
  };
}

/** device id → its connectivity, for the devices given (unknown when no status has arrived). */
export async function connectivityOf(db: Db, deviceIds: readonly (string | null)[]) {
  const ids = [...new Set(deviceIds.filter((id): id is string => id !== null))];
  const found = await rows<{ device_id: string; connectivity: z.input<typeof Connectivity> }>(
    db,
    `SELECT d.device_id, ${CONNECTIVITY_SQL} AS connectivity
     FROM unnest($1::text[]) AS d(device_id) LEFT JOIN device_status s ON s.device_id = d.device_id`,
    [ids],
  );
  const byId = new Map(found.map((f) => [f.device_id, f.connectivity]));
  return (deviceId: string | null) => {
    const connectivity = deviceId === null ? undefined : byId.get(deviceId);
    return deviceId === null || connectivity === undefined ? null : { device_id: deviceId, connectivity };
  };
}

/** Counts of a set of devices by connectivity. */
export async function connectivityCounts(db: Db, deviceIds: readonly string[]) {
  const [counts] = await rows<{ total: number; online: number; offline: number; unknown: number }>(
    db,
    `SELECT count(*) AS total,
            count(*) FILTER (WHERE s.status = 'online') AS online,
            count(*) FILTER (WHERE s.status = 'offline') AS offline,
            count(*) FILTER (WHERE s.status IS NULL) AS unknown
     FROM unnest($1::text[]) AS d(device_id) LEFT JOIN device_status s ON s.device_id = d.device_id`,
    [[...new Set(deviceIds)]],
  );
  return counts ?? { total: 0, online: 0, offline: 0, unknown: 0 };
}

export const DeviceCounts = z.object({
  total: z.number().int(),
  online: z.number().int(),
  offline: z.number().int(),
  unknown: z.number().int(),
});
