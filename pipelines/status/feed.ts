// Transitions onto device.transitions.v1 (the live feed), keyed by device id, acknowledged by every replica.

import type { Producer } from "../../ground/kafka.ts";
import { TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { type DeviceTransition, toDeviceStatus } from "./transitions.ts";

export async function publishTransitions(
  producer: Producer,
  transitions: readonly DeviceTransition[],
): Promise<void> {
  if (transitions.length === 0) return;
  const store = schemaStore();
  await producer.send({
    topic: TOPICS.transitions,
    acks: -1,
    messages: transitions.map((t) => ({
      key: t.deviceId,
      value: store.encode("DeviceStatus", toDeviceStatus(t)),
    })),
  });
}
