// Cross-references in a schema-valid registry file: keys unique where the database needs them unique, and every
// name (array, adapter, adapter type, system, device) pointing at something the file declares.
import type { RegistryFile, SiteEntry, SystemEntry } from "./config-schema.ts";

export type Path = (string | number)[];

export interface Issue {
  path: Path;
  message: string;
}

/** The system a site gets when its file entry declares none. */
export const DEFAULT_SYSTEM_KEY = "default";

/** `sites[0].systems[1].inverters[2].rated_power_w` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}

export interface DeviceUse {
  /** Key of the system of the node that names the device. */
  system: string;
  /** Path of the node's `device_id`. */
  path: Path;
}

/** The hierarchy nodes of a site that name a device, by device id, in file order. */
export function deviceUses(site: SiteEntry, sitePath: Path): Map<string, DeviceUse[]> {
  const uses = new Map<string, DeviceUse[]>();
  site.systems.forEach((system, j) => {
    const lists = { inverters: system.inverters, battery_packs: system.battery_packs, meters: system.meters };
    for (const [list, nodes] of Object.entries(lists)) {
      nodes.forEach((node, k) => {
        if (node.device_id === undefined) return;
        const use = { system: system.key, path: [...sitePath, "systems", j, list, k, "device_id"] };
        uses.set(node.device_id, [...(uses.get(node.device_id) ?? []), use]);
      });
    }
  });
  return uses;
}

type Add = (path: Path, message: string) => void;

/** Records each value's first path; reports a later one as a duplicate. */
function once(seen: Map<string, Path>, value: string, path: Path, what: string, add: Add): void {
  const first = seen.get(value);
  if (first === undefined) seen.set(value, path);
  else add(path, `duplicate ${what} ${JSON.stringify(value)} (first at ${formatPath(first)})`);
}

function keysOf(items: readonly { key: string }[], path: Path, what: string, add: Add): Set<string> {
  const seen = new Map<string, Path>();
  items.forEach((item, i) => {
    once(seen, item.key, [...path, i, "key"], what, add);
  });
  return new Set(seen.keys());
}

function known(keys: Set<string>, value: string | undefined, path: Path, what: string, add: Add): void {
  if (value !== undefined && !keys.has(value))
    add(path, `no ${what} ${JSON.stringify(value)} in this system`);
}

function checkSystem(system: SystemEntry, path: Path, adapterTypes: Set<string>, add: Add): void {
  const adapters = keysOf(system.adapters, [...path, "adapters"], "adapter key", add);
  system.adapters.forEach((a, i) => {
    if (!adapterTypes.has(a.type))
      add([...path, "adapters", i, "type"], `no adapter type ${JSON.stringify(a.type)} in adapter_types`);
  });
  const inverterArrays = keysOf(
    system.inverter_arrays,
    [...path, "inverter_arrays"],
    "inverter array key",
    add,
  );
  const batteryArrays = keysOf(system.battery_arrays, [...path, "battery_arrays"], "battery array key", add);
  system.battery_arrays.forEach((b, i) => {
    const seen = new Map<string, Path>();
    b.attached_to.forEach((target, t) => {
      const at = [...path, "battery_arrays", i, "attached_to", t];
      once(seen, target, at, "attachment", add);
      known(inverterArrays, target, at, "inverter array", add);
    });
  });
  keysOf(system.inverters, [...path, "inverters"], "inverter key", add);
  system.inverters.forEach((inv, i) => {
    known(inverterArrays, inv.array, [...path, "inverters", i, "array"], "inverter array", add);
    known(adapters, inv.adapter, [...path, "inverters", i, "adapter"], "adapter", add);
  });
  keysOf(system.battery_packs, [...path, "battery_packs"], "battery pack key", add);
  system.battery_packs.forEach((pack, i) => {
    const at = [...path, "battery_packs", i];
    known(batteryArrays, pack.array, [...at, "array"], "battery array", add);
    known(adapters, pack.adapter, [...at, "adapter"], "adapter", add);
    keysOf(pack.batteries, [...at, "batteries"], "battery key", add);
  });
  keysOf(system.meters, [...path, "meters"], "meter key", add);
  system.meters.forEach((m, i) => {
    known(inverterArrays, m.array, [...path, "meters", i, "array"], "inverter array", add);
    known(adapters, m.adapter, [...path, "meters", i, "adapter"], "adapter", add);
  });
}

function checkDevices(site: SiteEntry, path: Path, deviceIds: Map<string, Path>, add: Add): void {
  const systems = new Set(site.systems.length > 0 ? site.systems.map((s) => s.key) : [DEFAULT_SYSTEM_KEY]);
  const declared = new Map(site.devices.map((d) => [d.id, d]));
  site.devices.forEach((d, k) => {
    once(deviceIds, d.id, [...path, "devices", k, "id"], "device id", add);
    if (d.system !== undefined && !systems.has(d.system))
      add([...path, "devices", k, "system"], `no system ${JSON.stringify(d.system)} in this site`);
  });
  for (const [id, uses] of deviceUses(site, path)) {
    const device = declared.get(id);
    uses.forEach((use, n) => {
      const [first] = uses;
      if (device === undefined)
        add(use.path, `device ${JSON.stringify(id)} is not declared in this site's devices`);
      else if (n > 0 && first)
        add(
          use.path,
          `device ${JSON.stringify(id)} is already used by ${formatPath(first.path.slice(0, -1))}`,
        );
      else if (device.system !== undefined && device.system !== use.system)
        add(use.path, `device ${JSON.stringify(id)} is declared in system ${JSON.stringify(device.system)}`);
    });
  }
}

export function checkReferences(file: RegistryFile): Issue[] {
  const issues: Issue[] = [];
  const add: Add = (path, message) => issues.push({ path, message });
  const adapterTypes = keysOf(file.adapter_types, ["adapter_types"], "adapter type key", add);
  const siteIds = new Map<string, Path>();
  const plantIds = new Map<string, Path>();
  const deviceIds = new Map<string, Path>();
  file.sites.forEach((site, i) => {
    const path = ["sites", i];
    once(siteIds, site.id, [...path, "id"], "site id", add);
    if (site.hopecloud_plant_id !== undefined)
      once(plantIds, site.hopecloud_plant_id, [...path, "hopecloud_plant_id"], "HopeCloud plant id", add);
    keysOf(site.systems, [...path, "systems"], "system key", add);
    site.systems.forEach((system, j) => {
      checkSystem(system, [...path, "systems", j], adapterTypes, add);
    });
    checkDevices(site, path, deviceIds, add);
  });
  return issues;
}
