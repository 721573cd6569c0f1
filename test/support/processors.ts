// What the processors' integration tests share: a processor in its own consumer group that starts at the end of
// its topics (so it never touches what other runs left on the shared topics), and polling until a condition holds.
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../../ground/config.ts";
import { type Admin, createKafka } from "../../ground/kafka.ts";
import { ensureTopics } from "../../ground/topics.ts";
import { config } from "./stack.ts";

async function withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafka(config, "test-admin").admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Commits the end of each topic for a new group, as if it had read everything there is: admin.setOffsets for all
 * topics at once (it handles one, waiting out a whole fetch).
 */
export async function startGroupAtEnd(groupId: string, topics: readonly string[]): Promise<void> {
  const ends = await withAdmin(async (admin) => {
    await ensureTopics(admin, config);
    return Promise.all(
      topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })),
    );
  });
  const consumer = createKafka(config, "test-group-start").consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics] });
  // Seeks are committed at the next fetch; the paused consumer reads nothing.
  const fetched = new Promise((resolve) => consumer.on(consumer.events.FETCH, resolve));
  void consumer.run({ eachBatch: async () => {} });
  consumer.pause(topics.map((topic) => ({ topic })));
  for (const { topic, offsets } of ends)
    for (const { partition, high } of offsets) consumer.seek({ topic, partition, offset: high });
  await fetched;
  await consumer.disconnect();
}

export function deleteGroup(groupId: string): Promise<void> {
  return withAdmin(async (admin) => {
    await admin.deleteGroups([groupId]).catch(() => {});
  });
}

/** The group's committed offset of one partition (the next offset it will read), -1 if none. */
export function committedOffset(groupId: string, topic: string, partition: number): Promise<bigint> {
  return withAdmin(async (admin) => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets?.partitions.find((p) => p.partition === partition)?.offset ?? "-1";
    return BigInt(committed);
  });
}

/** The shared configuration with a consumer group of the test's own, and faster timings. */
export function processorConfig(
  groupId: string,
  tuning: { sweepMs?: number; debounceMs?: number } = {},
): Config {
  const { status, charging } = config.processors;
  return {
    ...config,
    processors: {
      status: { ...status, groupId, sweepMs: tuning.sweepMs ?? status.sweepMs },
      charging: { groupId, debounceMs: tuning.debounceMs ?? charging.debounceMs },
    },
  };
}

/** Polls `probe` until it returns something other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
