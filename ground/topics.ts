// The topics Wattline owns, created at start (idempotently) with partitions, replicas and retention from configuration.
import { type Config, loadConfig } from "./config.ts";
import type { Admin } from "./kafka.ts";

/** Every topic name, under a prefix (WATTLINE_TOPIC_PREFIX) that lets several deployments or test runs share a cluster. */
export function topicNames(prefix: string) {
  return {
    telemetry: `${prefix}telemetry.energy.v1`,
    status: `${prefix}device.status.v1`,
    transitions: `${prefix}device.transitions.v1`,
    heartbeat: `${prefix}device.heartbeat.v1`,
    connectors: `${prefix}charging.connectors.v1`,
    hopecloudModules: `${prefix}hopecloud.modules.v1`,
    deadLetter: `${prefix}deadletter.v1`,
    late: `${prefix}telemetry.late.v1`,
    broadcasts: `${prefix}monitoring.broadcasts.v1`,
  } as const;
}

type TopicKey = keyof ReturnType<typeof topicNames>;

/** Topics that differ from the configured partitions and retention. */
const TOPIC_OVERRIDES: Partial<Record<TopicKey, { partitions: number; retentionMs: number }>> = {
  // Broadcasts are read from the latest offset and matter only when sent: an hour is plenty, and one partition
  // gives every API instance the same order as the admins sent them.
  broadcasts: { partitions: 1, retentionMs: 3_600_000 },
};

type Topics = ReturnType<typeof topicNames>;

// Read from the configuration on first use, never at import: a process (or a test) sets WATTLINE_TOPIC_PREFIX
// before it names its first topic, not before it imports this module.
let configured: { prefix: string; names: Topics } | undefined;

function configuredTopics(): { prefix: string; names: Topics } {
  if (configured === undefined) {
    const prefix = loadConfig().env.WATTLINE_TOPIC_PREFIX;
    configured = { prefix, names: topicNames(prefix) };
  }
  return configured;
}

/** The topic names under the configured prefix, looked up when a name is first asked for. */
export const TOPICS: Topics = Object.defineProperties(
  {} as Topics,
  Object.fromEntries(
    Object.keys(topicNames("")).map((key) => [
      key,
      { enumerable: true, get: () => configuredTopics().names[key as TopicKey] },
    ]),
  ),
);

export type TopicName = Topics[TopicKey];

/** A compacted changelog keeps the latest state per key forever: what a processor restores from. */
export const changelogTopic = (processor: string) => `${configuredTopics().prefix}${processor}.state`;

export async function ensureTopics(
  admin: Admin,
  config: Config,
  changelogs: string[] = [],
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const wanted = [
    ...(Object.entries(TOPICS) as [TopicKey, string][]).map(([key, topic]) => {
      const { partitions, retentionMs } = TOPIC_OVERRIDES[key] ?? config.kafka;
      return {
        topic,
        numPartitions: partitions,
        replicationFactor: config.kafka.replicationFactor,
        configEntries: [{ name: "retention.ms", value: String(retentionMs) }],
      };
    }),
    ...changelogs.map((topic) => ({
      topic,
      numPartitions: config.kafka.partitions,
      replicationFactor: config.kafka.replicationFactor,
      configEntries: [
        { name: "cleanup.policy", value: "compact" },
        { name: "min.compaction.lag.ms", value: "60000" },
        // One device's state may exceed the default 1 MiB (a fast device holds the allowed lateness of readings).
        { name: "max.message.bytes", value: String(16 * 1024 * 1024) },
      ],
    })),
  ];
  const missing = wanted.filter((t) => !existing.has(t.topic));
  // Existing topics are waited for too: another process may have created them a moment ago.
  await createTopicsReady(
    admin,
    missing,
    wanted.map((t) => t.topic),
  );
  return missing.map((t) => t.topic);
}

type TopicSpec = Parameters<Admin["createTopics"]>[0]["topics"][number];

/**
 * Creates topics and waits until every partition has a leader that answers. kafkajs's own `waitForLeaders` gives up when the
 * broker has not yet published a new topic's metadata (UNKNOWN_TOPIC_OR_PARTITION), so this polls instead.
 */
export async function createTopicsReady(
  admin: Admin,
  topics: TopicSpec[],
  names: string[] = topics.map((t) => t.topic),
  timeoutMs = 30_000,
): Promise<void> {
  if (topics.length > 0) await admin.createTopics({ topics, waitForLeaders: false });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A leader in the metadata is not enough on a fresh broker: ListOffsets may still answer "not the leader".
    const ready = await admin
      .fetchTopicMetadata({ topics: names })
      .then((m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
      .then(
        async (led) => led && (await Promise.all(names.map((t) => admin.fetchTopicOffsets(t)))).length > 0,
      )
      .catch(() => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`topics not ready after ${timeoutMs} ms: ${names.join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
