// One plant's poll: its communication modules, and its inverters' realtime energy. The two are independent, so
// one failing does not cost the other; invalid records become dead letters.
import type { DeadLetter, HopeCloudModule, TelemetryReading } from "../../../schemas/generated/types.ts";
import { PATHS } from "../api/paths.ts";
import type { HopeCloudClient } from "../client/client.ts";
import { moduleRecords, readingRecords } from "../records/convert.ts";
import { rejectedRecord } from "./dead-letter.ts";
import type { PollTarget } from "./targets.ts";

export interface PlantPoll {
  modules: HopeCloudModule[];
  readings: TelemetryReading[];
  rejected: DeadLetter[];
  errors: string[];
}

export async function pollPlant(
  client: HopeCloudClient,
  t: PollTarget,
  now: () => number,
  /** Readings whose data timestamp is more than this after the poll are dead-lettered `ts_out_of_range`. */
  maxFutureMs: number,
): Promise<PlantPoll> {
  const out: PlantPoll = { modules: [], readings: [], rejected: [], errors: [] };
  const reject = (endpoint: string) => (r: Parameters<typeof rejectedRecord>[1]) =>
    out.rejected.push(rejectedRecord(`${endpoint}?plantId=${t.plant_id}`, r, now()));
  try {
    const listing = await client.listDivertors(t.plant_id);
    const converted = moduleRecords(listing, { plantId: t.plant_id, zone: t.zone, fetchedAt: now() });
    out.modules = converted.records;
    converted.rejected.forEach(reject(PATHS.divertors));
  } catch (e) {
    out.errors.push(`modules: ${(e as Error).message}`);
  }
  try {
    const equipment = await client.listEquipment(t.plant_id);
    equipment.invalid.forEach(reject(PATHS.equipment));
    const realtime = await client.realtime(equipment.records.map((e) => e.equipmentSn));
    const converted = readingRecords(realtime, t.zone, now(), maxFutureMs);
    out.readings = converted.records;
    converted.rejected.forEach(reject(PATHS.realtime));
  } catch (e) {
    out.errors.push(`realtime: ${(e as Error).message}`);
  }
  return out;
}
