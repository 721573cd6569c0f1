// The pure part of the processor: a Kafka batch of module snapshots → the latest snapshot of each module, grouped
// by plant, and the messages that are not HopeCloudModule records.
import type { DecodedRecord } from "../../../schemas/codec/schema-store.ts";
import type { HopeCloudModule, WattlineRecords } from "../../../schemas/generated/types.ts";

export interface BatchMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export interface Undecodable {
  message: BatchMessage;
  reason: string;
  details: string;
}

export interface SortedBatch {
  /** Plant id → the latest snapshot of each of its modules, in the order they were first seen. */
  byPlant: Map<string, HopeCloudModule[]>;
  undecodable: Undecodable[];
}

export function sortBatch(
  messages: readonly BatchMessage[],
  decode: (value: Buffer) => DecodedRecord<WattlineRecords>,
): SortedBatch {
  // One key, one partition: within a batch, a module's later snapshot replaces its earlier one.
  const latest = new Map<string, HopeCloudModule>();
  const undecodable: Undecodable[] = [];
  for (const message of messages) {
    if (!message.value) {
      undecodable.push({ message, reason: "empty_value", details: "a message without a value" });
      continue;
    }
    try {
      const decoded = decode(message.value);
      if (decoded.name !== "HopeCloudModule") {
        undecodable.push({ message, reason: "unexpected_record", details: `a ${decoded.name} record` });
        continue;
      }
      latest.set(decoded.record.module_id, decoded.record);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      undecodable.push({
        message,
        reason: typeof code === "string" ? code : "undecodable",
        details: (e as Error).message,
      });
    }
  }
  return { byPlant: latestByPlant(latest.values()), undecodable };
}

/** The latest snapshot of each module (later ones replace earlier ones), grouped by plant in first-seen order. */
export function latestByPlant(records: Iterable<HopeCloudModule>): Map<string, HopeCloudModule[]> {
  const latest = new Map<string, HopeCloudModule>();
  for (const record of records) latest.set(record.module_id, record);
  const byPlant = new Map<string, HopeCloudModule[]>();
  for (const record of latest.values()) {
    const list = byPlant.get(record.plant_id) ?? [];
    if (list.length === 0) byPlant.set(record.plant_id, list);
    list.push(record);
  }
  return byPlant;
}
