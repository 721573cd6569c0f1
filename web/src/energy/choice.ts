// What the energy page shows: a node of the registry (site, system, inverter array, device), per hour or per day,
// over local dates in the node's zone; read from the URL's query, with defaults for what it leaves out.
import { listAll } from "../api.ts";
import type { Device, InverterArray, Site, System } from "../types.ts";
import { addDays, localDate } from "../zone.ts";

export type Scope = "site" | "system" | "array" | "device";
export type Resolution = "hourly" | "daily";
const MAX_DAYS: Record<Resolution, number> = { hourly: 31, daily: 366 };

export interface Registry {
  sites: Site[];
  systems: System[];
  arrays: InverterArray[];
  devices: Device[];
}

export interface Choice {
  scope: Scope;
  id: string;
  resolution: Resolution;
  from: string;
  to: string;
}

export function options(scope: Scope, r: Registry): { value: string; label: string }[] {
  const systemName = (id: number) => {
    const s = r.systems.find((x) => x.id === id);
    return s ? `${s.name ?? s.key} (${s.site_id})` : String(id);
  };
  switch (scope) {
    case "site":
      return r.sites.map((s) => ({ value: s.id, label: `${s.name} (${s.id})` }));
    case "system":
      return r.systems.map((s) => ({ value: String(s.id), label: systemName(s.id) }));
    case "array":
      return r.arrays.map((a) => ({
        value: String(a.id),
        label: `${a.name ?? a.key} · ${systemName(a.system_id)}`,
      }));
    case "device":
      return r.devices.map((d) => ({ value: d.device_id, label: `${d.device_id} (${d.kind})` }));
  }
}

/** The zone the rows are counted in: the device's own, else the site's. */
export function zoneOf(c: Choice, r: Registry): string | undefined {
  const siteZone = (id: string | undefined) => r.sites.find((s) => s.id === id)?.timezone;
  const systemSite = (id: number | undefined) => r.systems.find((s) => s.id === id)?.site_id;
  switch (c.scope) {
    case "site":
      return siteZone(c.id);
    case "system":
      return siteZone(systemSite(Number(c.id)));
    case "array":
      return siteZone(systemSite(r.arrays.find((a) => a.id === Number(c.id))?.system_id));
    case "device":
      return r.devices.find((d) => d.device_id === c.id)?.timezone;
  }
}

export function choiceFrom(query: URLSearchParams, r: Registry): Choice {
  const scope =
    (["site", "system", "array", "device"] as const).find((s) => s === query.get("scope")) ?? "site";
  const resolution = query.get("resolution") === "hourly" ? "hourly" : "daily";
  const id = query.get("id") ?? options(scope, r)[0]?.value ?? "";
  const today = localDate(Date.now(), zoneOf({ scope, id, resolution, from: "", to: "" }, r) ?? "UTC");
  const from = query.get("from") ?? (resolution === "daily" ? addDays(today, -6) : today);
  return { scope, id, resolution, from, to: query.get("to") ?? today };
}

export async function loadRegistry(): Promise<Registry> {
  const [sites, systems, arrays, devices] = await Promise.all([
    listAll<Site>("/api/v1/sites"),
    listAll<System>("/api/v1/systems"),
    listAll<InverterArray>("/api/v1/inverter-arrays"),
    listAll<Device>("/api/v1/devices"),
  ]);
  return { sites, systems, arrays, devices };
}

export function rangeProblem(c: Choice, zone: string | undefined): string | undefined {
  if (zone === undefined) return "Choose a site, system, inverter array or device.";
  const days = (Date.parse(c.to) - Date.parse(c.from)) / 86_400_000 + 1;
  if (!(days >= 1)) return "The range ends before it starts.";
  if (days > MAX_DAYS[c.resolution])
    return `At most ${MAX_DAYS[c.resolution]} days ${c.resolution === "hourly" ? "per hour" : "per day"}.`;
  return undefined;
}
