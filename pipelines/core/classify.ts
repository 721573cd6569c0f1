// The classification of a reading against the state it would be applied to (spec: "Classifying a reading").
import type { StartedState } from "./device-state.ts";
import type { Reading } from "./reading.ts";
import type { DeviceSettings } from "./settings.ts";

export type Classification = "reset" | "flat" | "jump" | "normal";

const MS_PER_HOUR = 3_600_000;

export function classify(r: Reading, s: StartedState, settings: DeviceSettings): Classification {
  const e = r.energy_wh_total;
  const rebooted =
    r.boot_id !== undefined &&
    s.boot !== null &&
    r.boot_id !== s.boot &&
    !settings.counter_persists_across_boot;
  if (s.hw - e > settings.noise_wh || rebooted) return "reset";
  if (e <= s.hw) return "flat";
  if (
    settings.max_power_w !== null &&
    e - s.hw > ((settings.max_power_w * (r.ts - s.last.ts)) / MS_PER_HOUR) * 1.1 + settings.noise_wh
  ) {
    return "jump";
  }
  return "normal";
}
