// A transition of one device, and the DeviceStatus record that announces it on device.transitions.v1. It is not
// published on device.status.v1: the processor consumes that topic and would read its own output back.
import type { DeviceStatus } from "../../schemas/generated/types.ts";
import type { Transition } from "./state.ts";

export const SOURCE = "status-processor";

export interface DeviceTransition extends Transition {
  deviceId: string;
  /** When the processor decided it, epoch milliseconds. */
  derivedAt: number;
}

export const toDeviceStatus = (t: DeviceTransition): DeviceStatus => ({
  device_id: t.deviceId,
  status: t.to,
  reason: t.reason,
  ts: t.ts,
  received_at: t.derivedAt,
  source: SOURCE,
});
