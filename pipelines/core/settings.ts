// Device settings from the registry, with the spec's defaults for whatever a device does not set.
import { IANAZone } from "luxon";
import { z } from "zod";

export interface DeviceSettings {
  device_id: string;
  /** IANA time-zone name. */
  timezone: string;
  /** `null`: no jump detection. */
  max_power_w: number | null;
  noise_wh: number;
  counter_persists_across_boot: boolean;
  expected_interval_s: number;
}

export type Registry = ReadonlyMap<string, DeviceSettings>;

export function defaultSettings(device_id: string): DeviceSettings {
  return {
    device_id,
    timezone: "UTC",
    max_power_w: null,
    noise_wh: 1.0,
    counter_persists_across_boot: false,
    expected_interval_s: 60,
  };
}

// `null` is accepted as "not set" so that registry exports with explicit nulls load unchanged.
const entrySchema = z.object({
  device_id: z.string().min(1, "must be a non-empty string"),
  timezone: z
    .string()
    .refine((name) => IANAZone.create(name).isValid, {
      error: (i) => `unknown time zone ${JSON.stringify(i.input)}`,
    })
    .nullish(),
  max_power_w: z.number().positive().nullish(),
  noise_wh: z.number().nonnegative().nullish(),
  counter_persists_across_boot: z.boolean().nullish(),
  expected_interval_s: z.number().positive().nullish(),
});

const registrySchema = z.array(entrySchema, { error: "must be a JSON array of device settings" });

export type RegistryResult = { ok: true; registry: Registry } | { ok: false; error: string };

/** Validates a decoded devices document (a JSON array); every problem is named with its path. */
export function parseRegistry(value: unknown): RegistryResult {
  const parsed = registrySchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
      return `devices${path}: ${issue.message}`;
    });
    return { ok: false, error: problems.join("; ") };
  }
  const registry = new Map<string, DeviceSettings>();
  for (const [i, entry] of parsed.data.entries()) {
    if (registry.has(entry.device_id)) {
      return {
        ok: false,
        error: `devices[${i}].device_id: duplicate device ${JSON.stringify(entry.device_id)}`,
      };
    }
    const defaults = defaultSettings(entry.device_id);
    registry.set(entry.device_id, {
      device_id: entry.device_id,
      timezone: entry.timezone ?? defaults.timezone,
      max_power_w: entry.max_power_w ?? defaults.max_power_w,
      noise_wh: entry.noise_wh ?? defaults.noise_wh,
      counter_persists_across_boot:
        entry.counter_persists_across_boot ?? defaults.counter_persists_across_boot,
      expected_interval_s: entry.expected_interval_s ?? defaults.expected_interval_s,
    });
  }
  return { ok: true, registry };
}

export function settingsFor(registry: Registry, device_id: string): DeviceSettings {
  return registry.get(device_id) ?? defaultSettings(device_id);
}
