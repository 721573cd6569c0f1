// From the telemetry record on Kafka to the core's reading.

import type { TelemetryReading } from "../../schemas/generated/types.ts";
import type { Reading } from "../core/reading.ts";

export function toReading(r: TelemetryReading): Reading {
  return {
    device_id: r.device_id,
    ts: r.ts,
    energy_wh_total: r.energy_wh_total,
    ...(r.power_w !== null ? { power_w: r.power_w } : {}),
    ...(r.boot_id !== null ? { boot_id: r.boot_id } : {}),
    ...(r.seq !== null ? { seq: r.seq } : {}),
  };
}
