// Reads decoded records back from a Kafka topic for assertions.
import { createKafka } from "../../pipelines/runtime/kafka.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { config, unique } from "./stack.ts";

export interface Collected {
  key: string | null;
  name: string;
  record: Record<string, unknown>;
}

/** Collects records of `topic` (from the beginning) whose key matches, until `count` arrived or the timeout. */
export async function collect(
  topic: string,
  keyMatches: (key: string | null) => boolean,
  count: number,
  timeoutMs = 20_000,
): Promise<Collected[]> {
  const kafka = createKafka(config, "test-collector");
  const consumer = kafka.consumer({ groupId: unique("test-collect") });
  const store = schemaStore();
  const out: Collected[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? null;
        if (!keyMatches(key) || !message.value) return;
        const decoded = store.decode(message.value);
        out.push({
          key,
          name: decoded.name,
          record: { ...(decoded.record as object) } as Record<string, unknown>,
        });
        if (out.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}
