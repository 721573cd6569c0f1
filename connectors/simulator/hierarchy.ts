// The simulated fleet as a registry file (docs/registry.md): per site one system whose inverters are split over two
// inverter arrays, whose battery packs form a battery array feeding both, and whose meters measure the grid and the
// loads. Every device is measured by its node, so the /now views, the energy routes and the live feed see the fleet.
import type { z } from "zod";
import type { registryFileSchema } from "../../pipelines/registry/config-schema.ts";
import type { ManifestEntry } from "./manifest.ts";

export type RegistryFileInput = z.input<typeof registryFileSchema>;
type SiteInput = NonNullable<RegistryFileInput["sites"]>[number];
type SystemInput = NonNullable<SiteInput["systems"]>[number];

export const SYSTEM_KEY = "pv";
const ARRAYS = ["east", "west"] as const;
const STORAGE = "storage";

/** The registry's power limit: positive or absent (a device that cannot draw power has none). */
const maxPower = (d: ManifestEntry) => (d.max_power_w > 0 ? { max_power_w: d.max_power_w } : {});

function system(siteNumber: string, devices: ManifestEntry[]): SystemInput {
  const of = (kind: ManifestEntry["kind"]) => devices.filter((d) => d.kind === kind);
  const packs = of("battery");
  return {
    key: SYSTEM_KEY,
    name: `Rooftop PV and storage ${siteNumber}`,
    inverter_arrays: ARRAYS.map((key) => ({ key, name: `${key[0]?.toUpperCase()}${key.slice(1)} roof` })),
    inverters: of("inverter").map((d, i) => ({
      key: d.device_id,
      array: ARRAYS[i % ARRAYS.length] ?? "east",
      rated_power_w: d.max_power_w,
      device_id: d.device_id,
    })),
    battery_arrays: packs.length > 0 ? [{ key: STORAGE, attached_to: [...ARRAYS] }] : [],
    battery_packs: packs.map((d) => ({ key: d.device_id, array: STORAGE, device_id: d.device_id })),
    meters: of("meter").map((d, i) => ({
      key: d.device_id,
      role: i === 0 ? ("grid" as const) : ("load" as const),
      device_id: d.device_id,
    })),
  };
}

export function fleetRegistry(entries: readonly ManifestEntry[]): RegistryFileInput {
  const bySite = new Map<string, ManifestEntry[]>();
  for (const d of entries) bySite.set(d.site_id, [...(bySite.get(d.site_id) ?? []), d]);
  return {
    sites: [...bySite].map(([id, devices]) => {
      const first = devices[0] as ManifestEntry;
      const siteNumber = id.slice(id.lastIndexOf("-") + 1);
      return {
        id,
        name: `Simulated site ${siteNumber}`,
        timezone: first.timezone,
        latitude: first.latitude,
        systems: [system(siteNumber, devices)],
        devices: devices.map((d, i) => ({
          id: d.device_id,
          kind: d.kind,
          ...(d.kind === "classroom" ? { group: `classroom-${siteNumber}-${(i % 3) + 1}` } : {}),
          ...maxPower(d),
          noise_wh: d.noise_wh,
          counter_persists_across_boot: d.counter_persists_across_boot,
          expected_interval_s: d.expected_interval_s,
        })),
      };
    }),
  };
}
