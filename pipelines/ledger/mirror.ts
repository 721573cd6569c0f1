// The registry's devices mirrored into QuestDB, so that analysts join energy to sites and groups in one query.
import type { RowSender } from "../../ground/questdb.ts";
import type { RegistryCache } from "./registry-cache.ts";

export async function writeDeviceMirror(
  sender: RowSender,
  registry: Pick<RegistryCache, "devices">,
  ids: string[],
): Promise<void> {
  for (const id of ids) {
    const d = registry.devices.get(id);
    if (!d) continue;
    sender.table("devices").symbol("device_id", id).symbol("timezone", d.settings.timezone);
    if (d.site_id) sender.symbol("site_id", d.site_id);
    if (d.group_name) sender.symbol("group_name", d.group_name);
    if (d.kind) sender.symbol("kind", d.kind);
    if (d.system_id !== null) sender.intColumn("system_id", d.system_id);
    if (d.energy_system_id != null) sender.intColumn("energy_system_id", d.energy_system_id);
    if (d.array_id != null) sender.intColumn("array_id", d.array_id);
    sender.booleanColumn("generation", d.generation ?? false);
    await sender.at(0n, "us");
  }
  await sender.flush();
}
