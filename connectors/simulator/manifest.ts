// The fleet as device settings (the registry's fields, see ENERGY_SEMANTICS.md), so that `wattline compute
// --devices` and the registry know each device's zone, power limit and interval; the extra fields say what it is.
import type { DeviceSpec } from "./fleet.ts";

export interface ManifestEntry {
  device_id: string;
  timezone: string;
  max_power_w: number;
  noise_wh: number;
  counter_persists_across_boot: boolean;
  expected_interval_s: number;
  kind: DeviceSpec["kind"];
  site_id: string;
  latitude: number;
}

export function manifest(specs: DeviceSpec[], intervalS: number): ManifestEntry[] {
  return specs.map((s) => ({
    device_id: s.id,
    timezone: s.timezone,
    max_power_w: s.maxPowerW,
    noise_wh: 1,
    // The simulated firmware restarts its counter at 0 on every boot.
    counter_persists_across_boot: false,
    expected_interval_s: intervalS,
    kind: s.kind,
    site_id: s.siteId,
    latitude: s.latitude,
  }));
}
