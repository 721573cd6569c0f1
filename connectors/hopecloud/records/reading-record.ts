// An inverter's realtime data (validated) → a TelemetryReading for the energy ledger: cumulative energy in Wh,
// timed by the cloud's data timestamp (when the inverter measured), not by when Wattline asked.
import type { TelemetryReading } from "../../../schemas/generated/types.ts";
import type { Realtime } from "../api/shapes.ts";
import { localTimeToMs } from "./local-time.ts";
import { kwhToWh, kwToW } from "./units.ts";

/** Stable across polls and restarts: the inverter's serial is its identity in HopeCloud. */
export const inverterDeviceId = (sn: string): string => `hc-${sn}`;

export function toReading(r: Realtime, zone: string, receivedAt: number): TelemetryReading {
  return {
    device_id: inverterDeviceId(r.sn),
    ts: localTimeToMs(r.timestamp, zone),
    ts_source: "device",
    energy_wh_total: kwhToWh(r.totalKwh),
    power_w: r.activePower === null ? null : kwToW(r.activePower),
    boot_id: null,
    seq: null,
    switch_state: null,
    voltage_v: r.voltage,
    current_a: r.current,
    source: "hopecloud",
    received_at: receivedAt,
  };
}
