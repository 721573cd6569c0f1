// A HopeCloud divertor (validated) → the HopeCloudModule record, the one shape that both the Kafka path and the
// one-shot sync write to Postgres.
import type { HopeCloudModule } from "../../../schemas/generated/types.ts";
import type { Divertor } from "../api/shapes.ts";
import { optionalLocalTimeToMs } from "./local-time.ts";
import { moduleStatus } from "./module-status.ts";

export interface RecordContext {
  /** The plant the module was listed under. */
  plantId: string;
  /** IANA zone of the plant's local times. */
  zone: string;
  fetchedAt: number;
}

export function toModuleRecord(d: Divertor, ctx: RecordContext): HopeCloudModule {
  // The plant asked for decides the site, in both paths; a module claiming another plant is the cloud's error.
  if (d.powerPlantId !== null && d.powerPlantId !== ctx.plantId) {
    throw new Error(`listed under plant ${ctx.plantId} but names plant ${d.powerPlantId}`);
  }
  return {
    module_id: d.id,
    serial: d.equipmentPn,
    name: d.divertorName,
    plant_id: ctx.plantId,
    plant_name: d.powerPlantName,
    user_id: d.userId,
    model: d.deviceType,
    firmware: d.firmwareVersion,
    iccid: d.iccid,
    operator: d.operatorType,
    rssi: d.rssi,
    status_code: d.status,
    status: moduleStatus(d.status),
    loaded_number: d.loadedNumber,
    longitude: d.longitude,
    latitude: d.latitude,
    start_time: optionalLocalTimeToMs(d.startTime, ctx.zone),
    stop_time: optionalLocalTimeToMs(d.stopTime, ctx.zone),
    last_update: optionalLocalTimeToMs(d.updateTime, ctx.zone),
    fetched_at: ctx.fetchedAt,
  };
}
