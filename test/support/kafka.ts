// Reads decoded records back from a Kafka topic for assertions.
import { createKafka } from "../../ground/kafka.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { config, unique } from "./stack.ts";

export interface Collected {
  key: string | null;
  name: string;
  record: Record<string, unknown>;
}

/** Collects records of `topic` (from the beginning) that match, until `enough` (a count or a test) or the timeout. */
export async function collect(
  topic: string,
  matches: (key: string | null, record: Record<string, unknown>) => boolean,
  enough: number | ((collected: Collected[]) => boolean),
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
        if (!message.value) return;
        let decoded: ReturnType<typeof store.decode>;
        try {
          decoded = store.decode(message.value);
        } catch {
          return; // not ours to judge: other writers share these topics
        }
        const record = { ...(decoded.record as object) } as Record<string, unknown>;
        if (!matches(key, record)) return;
        out.push({ key, name: decoded.name, record });
        if (typeof enough === "number" ? out.length >= enough : enough(out)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}
