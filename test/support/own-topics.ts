// A test that counts everything on a topic gets topics of its own: a prefix set before the first topic name is
// used (TOPICS reads WATTLINE_TOPIC_PREFIX then), every record read back from the beginning, the topics deleted after.
import { createKafka } from "../../ground/kafka.ts";
import { TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { config, unique } from "./stack.ts";

export interface Read {
  topic: string;
  key: string | null;
  name: string;
  record: Record<string, unknown>;
}

/** Must run before anything names a topic in this process. */
export function ownTopics(label: string): { prefix: string; drop: () => Promise<void> } {
  const prefix = `${unique(label)}.`;
  process.env.WATTLINE_TOPIC_PREFIX = prefix;
  return {
    prefix,
    async drop() {
      const admin = createKafka(config, "test-own-topics").admin();
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine });
      await admin.disconnect();
    },
  };
}

/** Every record of the given topics until `enough` says so or the timeout; decoded, with its topic and key. */
export async function readAll(
  topics: string[] = [
    TOPICS.telemetry,
    TOPICS.status,
    TOPICS.heartbeat,
    TOPICS.connectors,
    TOPICS.deadLetter,
  ],
  enough: (read: Read[]) => boolean,
  timeoutMs = 60_000,
): Promise<Read[]> {
  const consumer = createKafka(config, "test-read-all").consumer({ groupId: unique("test-read-all") });
  const store = schemaStore();
  const out: Read[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        const decoded = store.decode(message.value);
        out.push({
          topic,
          key: message.key?.toString() ?? null,
          name: decoded.name,
          record: decoded.record as never,
        });
        if (enough(out)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}
