// A validated registry file → the rows it stands for, parents before children. Rows refer to their parents by
// label; the shell resolves labels to database ids as it writes. The file is the truth for every column it
// plans: a field left out means the column's default (or none), so removing a line from the file and
// importing again clears it.
import { DEFAULT_SYSTEM_KEY, deviceUses } from "./config-references.ts";
import type { RegistryFile, SiteEntry, SystemEntry } from "./config-schema.ts";

export type RegistryTable =
  | "adapter_types"
  | "sites"
  | "systems"
  | "devices"
  | "adapters"
  | "inverter_arrays"
  | "battery_arrays"
  | "battery_array_attachments"
  | "inverters"
  | "battery_packs"
  | "batteries"
  | "cells"
  | "meters";

/** The id of the row planned earlier in `table` under `label`. */
export interface Ref {
  ref: RegistryTable;
  label: string;
}

/** A value for a jsonb column. */
export interface Json {
  json: unknown;
}

export type Cell = string | number | boolean | null | Ref | Json;

export interface PlannedRow {
  table: RegistryTable;
  /** Names the row in reports and in references: `berlin/main/inv-1`. */
  label: string;
  /** Columns of a unique constraint: how the row is found again on the next import. */
  key: Record<string, Cell>;
  /** Columns the file decides. Ids, timestamps and what the stream writes (SOC) are left alone. */
  values: Record<string, Cell>;
}

const ref = (table: RegistryTable, label: string): Ref => ({ ref: table, label });
const refOrNull = (table: RegistryTable, label: string | undefined): Ref | null =>
  label === undefined ? null : ref(table, label);

function defaultSystem(): SystemEntry {
  return {
    key: DEFAULT_SYSTEM_KEY,
    name: "Default",
    adapters: [],
    inverter_arrays: [],
    inverters: [],
    battery_arrays: [],
    battery_packs: [],
    meters: [],
  };
}

function planSystem(system: SystemEntry, label: string): PlannedRow[] {
  const rows: PlannedRow[] = [];
  const inSystem = (key: string) => ({ system_id: ref("systems", label), key });
  const node = (key: string) => `${label}/${key}`;
  const adapter = (key: string | undefined) =>
    refOrNull("adapters", key === undefined ? undefined : node(key));
  for (const a of system.adapters)
    rows.push({
      table: "adapters",
      label: node(a.key),
      key: inSystem(a.key),
      values: {
        adapter_type_id: ref("adapter_types", a.type),
        name: a.name ?? null,
        config: { json: a.config },
      },
    });
  for (const a of system.inverter_arrays)
    rows.push({
      table: "inverter_arrays",
      label: node(a.key),
      key: inSystem(a.key),
      values: { name: a.name ?? null },
    });
  for (const b of system.battery_arrays) {
    rows.push({
      table: "battery_arrays",
      label: node(b.key),
      key: inSystem(b.key),
      values: { name: b.name ?? null },
    });
    for (const target of b.attached_to)
      rows.push({
        table: "battery_array_attachments",
        label: `${node(b.key)}→${target}`,
        key: {
          battery_array_id: ref("battery_arrays", node(b.key)),
          inverter_array_id: ref("inverter_arrays", node(target)),
        },
        values: { system_id: ref("systems", label) },
      });
  }
  for (const inv of system.inverters)
    rows.push({
      table: "inverters",
      label: node(inv.key),
      key: inSystem(inv.key),
      values: {
        inverter_array_id: ref("inverter_arrays", node(inv.array)),
        name: inv.name ?? null,
        model: inv.model ?? null,
        serial_number: inv.serial_number ?? null,
        rated_power_w: inv.rated_power_w ?? null,
        adapter_id: adapter(inv.adapter),
        device_id: inv.device_id ?? null,
      },
    });
  for (const pack of system.battery_packs) {
    const packLabel = node(pack.key);
    rows.push({
      table: "battery_packs",
      label: packLabel,
      key: inSystem(pack.key),
      values: {
        battery_array_id: ref("battery_arrays", node(pack.array)),
        name: pack.name ?? null,
        model: pack.model ?? null,
        serial_number: pack.serial_number ?? null,
        capacity_kwh: pack.capacity_kwh ?? null,
        adapter_id: adapter(pack.adapter),
        device_id: pack.device_id ?? null,
      },
    });
    for (const battery of pack.batteries) {
      const batteryLabel = `${packLabel}/${battery.key}`;
      rows.push({
        table: "batteries",
        label: batteryLabel,
        key: { battery_pack_id: ref("battery_packs", packLabel), key: battery.key },
        values: {
          model: battery.model ?? null,
          serial_number: battery.serial_number ?? null,
          capacity_kwh: battery.capacity_kwh ?? null,
        },
      });
      for (let index = 1; index <= (battery.cells?.count ?? 0); index++)
        rows.push({
          table: "cells",
          label: `${batteryLabel}#${index}`,
          key: { battery_id: ref("batteries", batteryLabel), cell_index: index },
          values: {
            nominal_voltage_v: battery.cells?.nominal_voltage_v ?? null,
            capacity_ah: battery.cells?.capacity_ah ?? null,
          },
        });
    }
  }
  for (const m of system.meters)
    rows.push({
      table: "meters",
      label: node(m.key),
      key: inSystem(m.key),
      values: {
        inverter_array_id: refOrNull("inverter_arrays", m.array === undefined ? undefined : node(m.array)),
        role: m.role,
        name: m.name ?? null,
        model: m.model ?? null,
        serial_number: m.serial_number ?? null,
        adapter_id: adapter(m.adapter),
        device_id: m.device_id ?? null,
      },
    });
  return rows;
}

function planSite(site: SiteEntry): PlannedRow[] {
  const systems = site.systems.length > 0 ? site.systems : [defaultSystem()];
  const systemLabel = (key: string) => `${site.id}/${key}`;
  const rows: PlannedRow[] = [
    {
      table: "sites",
      label: site.id,
      key: { id: site.id },
      values: {
        name: site.name,
        timezone: site.timezone,
        emission_factor_kg_per_kwh: site.emission_factor_kg_per_kwh,
        hopecloud_plant_id: site.hopecloud_plant_id ?? null,
        latitude: site.latitude ?? null,
        longitude: site.longitude ?? null,
      },
    },
  ];
  for (const s of systems)
    rows.push({
      table: "systems",
      label: systemLabel(s.key),
      key: { site_id: site.id, key: s.key },
      values: { name: s.name ?? null, description: s.description ?? null },
    });
  // A device's system: as declared, else that of the node measuring it, else the site's only system.
  const uses = deviceUses(site, []);
  const onlySystem = systems.length === 1 ? systems[0]?.key : undefined;
  for (const d of site.devices) {
    const system = d.system ?? uses.get(d.id)?.[0]?.system ?? onlySystem;
    rows.push({
      table: "devices",
      label: d.id,
      key: { device_id: d.id },
      values: {
        site_id: site.id,
        system_id: refOrNull("systems", system === undefined ? undefined : systemLabel(system)),
        group_name: d.group ?? null,
        kind: d.kind,
        timezone: d.timezone ?? site.timezone,
        max_power_w: d.max_power_w ?? null,
        noise_wh: d.noise_wh,
        counter_persists_across_boot: d.counter_persists_across_boot,
        expected_interval_s: d.expected_interval_s,
      },
    });
  }
  for (const s of systems) rows.push(...planSystem(s, systemLabel(s.key)));
  return rows;
}

export function planImport(file: RegistryFile): PlannedRow[] {
  const types: PlannedRow[] = file.adapter_types.map((t) => ({
    table: "adapter_types",
    label: t.key,
    key: { key: t.key },
    values: { name: t.name ?? null, protocol: t.protocol ?? null, description: t.description ?? null },
  }));
  return [...types, ...file.sites.flatMap(planSite)];
}
