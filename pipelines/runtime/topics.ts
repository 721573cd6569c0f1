// The topics Wattline owns, created at start (idempotently) with partitions and retention from configuration.
import { type Config, loadConfig } from "../../deploy/config.ts";
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
  } as const;
}

const prefix = loadConfig().env.WATTLINE_TOPIC_PREFIX;

export const TOPICS = topicNames(prefix);

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** A compacted changelog keeps the latest state per key forever: what a processor restores from. */
export const changelogTopic = (processor: string) => `${prefix}${processor}.state`;

export async function ensureTopics(
  admin: Admin,
  config: Config,
  changelogs: string[] = [],
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const wanted = [
    ...Object.values(TOPICS).map((topic) => ({
      topic,
      numPartitions: config.kafka.partitions,
      configEntries: [{ name: "retention.ms", value: String(config.kafka.retentionMs) }],
    })),
    ...changelogs.map((topic) => ({
      topic,
      numPartitions: config.kafka.partitions,
      configEntries: [
        { name: "cleanup.policy", value: "compact" },
        { name: "min.compaction.lag.ms", value: "60000" },
      ],
    })),
  ].filter((t) => !existing.has(t.topic));
  if (wanted.length > 0) await admin.createTopics({ topics: wanted, waitForLeaders: true });
  return wanted.map((t) => t.topic);
}
