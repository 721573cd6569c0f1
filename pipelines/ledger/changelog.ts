// The ledger's state per device in a compacted topic, in the partition of the device's readings: a restarted or
// rebalanced processor restores a partition's devices from there. Each entry names the last input offset folded
// into it, so input already folded is skipped after a crash between the changelog write and the offset commit.
import type { Kafka, Producer } from "kafkajs";
import type { LedgerDeviceState } from "../core/ledger-stream.ts";
import type { HourBucket } from "../core/rollup.ts";
import { readTopic } from "../runtime/read-topic.ts";
import { changelogTopic } from "../runtime/topics.ts";

export const LEDGER_CHANGELOG = changelogTopic("ledger");

/** Characters of state per send, well under the broker's default 1 MiB batch limit. */
const SEND_BYTES = 512 * 1024;

export interface DeviceSlot {
  state: LedgerDeviceState;
  /** Offset of the last telemetry record folded into `state`. */
  offset: string;
}

export async function restorePartitions(
  kafka: Kafka,
  partitions: number[],
): Promise<Map<number, Map<string, DeviceSlot>>> {
  const restored = new Map(partitions.map((p) => [p, new Map<string, DeviceSlot>()]));
  await readTopic(kafka, LEDGER_CHANGELOG, {
    partitions,
    onBatch(partition, messages) {
      const devices = restored.get(partition);
      for (const m of messages) {
        const key = m.key?.toString();
        if (!devices || !key) continue;
        if (m.value === null) devices.delete(key);
        else devices.set(key, decodeSlot(m.value.toString()));
      }
    },
  });
  return restored;
}

export async function saveSlots(
  producer: Producer,
  partition: number,
  slots: Iterable<[string, DeviceSlot]>,
): Promise<void> {
  // One send is one record batch, which the broker refuses past its size limit: a busy partition's devices (each
  // holding the allowed lateness of readings) go in several sends. Each entry names its own offset, so a crash
  // between two sends leaves every device consistent with what it says it folded.
  let chunk: { key: string; value: string; partition: number }[] = [];
  let bytes = 0;
  const flush = async () => {
    if (chunk.length > 0) await producer.send({ topic: LEDGER_CHANGELOG, acks: -1, messages: chunk });
    chunk = [];
    bytes = 0;
  };
  for (const [key, slot] of slots) {
    const value = encodeSlot(slot);
    const size = key.length + value.length;
    if (bytes + size > SEND_BYTES) await flush();
    chunk.push({ key, value, partition });
    bytes += size;
  }
  await flush();
}

function encodeSlot(slot: DeviceSlot): string {
  return JSON.stringify({ ...slot, state: { ...slot.state, hours: [...slot.state.hours.values()] } });
}

function decodeSlot(text: string): DeviceSlot {
  const slot = JSON.parse(text) as {
    state: Omit<LedgerDeviceState, "hours"> & { hours: HourBucket[] };
    offset: string;
  };
  const hours = new Map(slot.state.hours.map((h) => [h.hour_start, h]));
  return {
    offset: slot.offset,
    state: { ...slot.state, hours, provisional: slot.state.provisional ?? null },
  };
}
