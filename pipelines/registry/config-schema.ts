// The registry file (config.yaml) as a zod schema: field types, ranges and defaults. Cross-references between
// entries (an inverter's array, a node's device…) are checked afterwards by config-references.ts.
import { IANAZone } from "luxon";
import { z } from "zod";

// The same rules as the registry_key and external_id domains in schemas/migrations/0001.
const key = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
    "must be 1–128 letters, digits or _ . : - and start with a letter or digit",
  );
const externalId = z.string().regex(/^[!-~]{1,200}$/, "must be 1–200 printable ASCII characters, no spaces");
const text = z.string().min(1, "must not be empty");
const positive = z.number().positive();
const timezone = z.string().refine((name) => IANAZone.isValidZone(name), {
  error: (issue) => `unknown IANA time zone ${JSON.stringify(issue.input)}`,
});

export const DEVICE_KINDS = ["inverter", "battery", "meter", "ev_charger", "classroom", "other"] as const;
export const METER_ROLES = ["grid", "load", "pv", "battery", "ev", "generator", "other"] as const;

const adapterType = z.strictObject({
  key,
  name: text.optional(),
  protocol: text.optional(),
  description: text.optional(),
});

const adapter = z.strictObject({
  key,
  type: key,
  name: text.optional(),
  /** Connection settings for the driver (port, host, unit id…); stored as given. */
  config: z.record(z.string(), z.unknown()).default({}),
});

const array = z.strictObject({ key, name: text.optional() });

/** What the hierarchy's telemetry-producing nodes share. */
const equipment = {
  key,
  name: text.optional(),
  model: text.optional(),
  serial_number: text.optional(),
  adapter: key.optional(),
  device_id: externalId.optional(),
};

const inverter = z.strictObject({ ...equipment, array: key, rated_power_w: positive.optional() });

const batteryArray = z.strictObject({
  key,
  name: text.optional(),
  /** Keys of the inverter arrays this battery array feeds. */
  attached_to: z.array(key).default([]),
});

const cells = z.strictObject({
  count: z.number().int().min(1).max(1024),
  nominal_voltage_v: positive.optional(),
  capacity_ah: positive.optional(),
});

const battery = z.strictObject({
  key,
  model: text.optional(),
  serial_number: text.optional(),
  capacity_kwh: positive.optional(),
  cells: cells.optional(),
});

const batteryPack = z.strictObject({
  ...equipment,
  array: key,
  capacity_kwh: positive.optional(),
  batteries: z.array(battery).default([]),
});

const meter = z.strictObject({
  ...equipment,
  role: z.enum(METER_ROLES).default("grid"),
  /** The inverter array the meter measures; absent when it measures the whole system. */
  array: key.optional(),
});

const system = z.strictObject({
  key,
  name: text.optional(),
  description: text.optional(),
  adapters: z.array(adapter).default([]),
  inverter_arrays: z.array(array).default([]),
  inverters: z.array(inverter).default([]),
  battery_arrays: z.array(batteryArray).default([]),
  battery_packs: z.array(batteryPack).default([]),
  meters: z.array(meter).default([]),
});

// Defaults are ENERGY_SEMANTICS.md's; an absent timezone means the site's (filled in by the plan).
const device = z.strictObject({
  id: externalId,
  kind: z.enum(DEVICE_KINDS),
  system: key.optional(),
  group: text.optional(),
  timezone: timezone.optional(),
  max_power_w: positive.optional(),
  noise_wh: z.number().nonnegative().default(1),
  counter_persists_across_boot: z.boolean().default(false),
  expected_interval_s: z.number().int().positive().default(60),
});

const site = z.strictObject({
  id: key,
  name: text,
  timezone,
  emission_factor_kg_per_kwh: z.number().nonnegative().default(0.5),
  hopecloud_plant_id: z
    .string({
      error: "must be a quoted string: YAML reads an unquoted plant id as a number and loses its last digits",
    })
    .min(1)
    .optional(),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
  systems: z.array(system).default([]),
  devices: z.array(device).default([]),
});

export const registryFileSchema = z.strictObject({
  version: z.literal(1).default(1),
  adapter_types: z.array(adapterType).default([]),
  sites: z.array(site).default([]),
});

export type RegistryFile = z.output<typeof registryFileSchema>;
export type SiteEntry = RegistryFile["sites"][number];
export type SystemEntry = SiteEntry["systems"][number];
export type DeviceEntry = SiteEntry["devices"][number];
