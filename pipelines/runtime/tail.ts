// `wattline tail <topic>`: decoded records as NDJSON, for people and for tests. Bytes (a dead letter's payload)
// print as text when they are valid UTF-8, else as base64.
import { randomBytes } from "node:crypto";
import { TextDecoder } from "node:util";
import { loadConfig } from "../../ground/config.ts";
import { createKafka } from "../../ground/kafka.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function printable(value: unknown): unknown {
  if (Buffer.isBuffer(value)) {
    try {
      return utf8.decode(value);
    } catch {
      return { base64: value.toString("base64") };
    }
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printable(v)]));
  }
  return value;
}

export async function tail(topic: string, opts: { fromBeginning?: boolean; count?: string }): Promise<void> {
  const limit = opts.count === undefined ? Number.POSITIVE_INFINITY : Number(opts.count);
  if (!(limit > 0)) throw new Error(`--count must be a positive integer, got ${opts.count}`);
  const config = loadConfig();
  const kafka = createKafka(config, "wattline-tail");
  const admin = kafka.admin();
  await admin.connect();
  const exists = (await admin.listTopics()).includes(topic);
  await admin.disconnect();
  if (!exists) throw new Error(`no topic ${topic}`);
  const groupId = `wattline-tail-${randomBytes(4).toString("hex")}`;
  const consumer = kafka.consumer({ groupId });
  const store = schemaStore();
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? false });
  const done = new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (seen >= limit) return;
        seen++;
        let record: unknown;
        let schema: string | undefined;
        try {
          const decoded = store.decode(message.value ?? Buffer.alloc(0));
          record = printable({ ...decoded.record });
          schema = `${decoded.name}.v${decoded.version}`;
        } catch (err) {
          record = { undecodable: (err as Error).message };
        }
        const line = {
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          timestamp: Number(message.timestamp),
          schema,
          record,
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
        if (seen >= limit) resolve();
      },
    });
  });
  await done;
  await consumer.disconnect();
  const cleanup = kafka.admin();
  await cleanup.connect();
  await cleanup.deleteGroups([groupId]).catch(() => {});
  await cleanup.disconnect();
}
