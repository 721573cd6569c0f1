// The records the status processor consumes, as status events in platform time (received_at).
import type {
  DeviceStatus,
  Heartbeat,
  MeterReplacement,
  TelemetryReading,
} from "../../schemas/generated/types.ts";
import type { StatusEvent } from "./state.ts";

export type StatusInput =
  | { name: "DeviceStatus"; record: DeviceStatus }
  | { name: "Heartbeat"; record: Heartbeat }
  | { name: "TelemetryReading"; record: TelemetryReading }
  // On the telemetry topic too, in order with the readings; an operator's record of a swap says nothing of whether
  // the device is online.
  | { name: "MeterReplacement"; record: MeterReplacement };

/** What says something about a device's status. */
export type StatusSignal = Exclude<StatusInput, { name: "MeterReplacement" }>;

export interface DeviceEvent {
  deviceId: string;
  event: Exclude<StatusEvent, { kind: "silence_check" }>;
  at: number;
}

export function toDeviceEvent(input: StatusSignal): DeviceEvent {
  const { device_id: deviceId, received_at: at } = input.record;
  switch (input.name) {
    case "DeviceStatus":
      return {
        deviceId,
        at,
        event: { kind: "status", status: input.record.status, reason: input.record.reason },
      };
    case "Heartbeat":
      return { deviceId, at, event: { kind: "heartbeat" } };
    case "TelemetryReading":
      return { deviceId, at, event: { kind: "telemetry" } };
  }
}
