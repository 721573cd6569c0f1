// A HopeCloudModule record on a site → the columns of its communication_modules row (the key, hopecloud_id, aside).
import type { HopeCloudModule } from "../../../schemas/generated/types.ts";

const timestamp = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function moduleColumns(siteId: string, r: HopeCloudModule): Record<string, unknown> {
  return {
    site_id: siteId,
    hopecloud_user_id: r.user_id,
    serial: r.serial,
    name: r.name,
    model: r.model,
    firmware: r.firmware,
    iccid: r.iccid,
    operator: r.operator,
    rssi: r.rssi,
    status: r.status,
    status_code: r.status_code,
    loaded_number: r.loaded_number,
    latitude: r.latitude,
    longitude: r.longitude,
    start_time: timestamp(r.start_time),
    stop_time: timestamp(r.stop_time),
    last_update: timestamp(r.last_update),
  };
}
