// The topics Wattline owns, created at start (idempotently) with partitions and retention from configuration.
import type { Config } from "../../deploy/config.ts";
import type { Admin } from "./kafka.ts";

export const TOPICS = {
  telemetry: "telemetry.energy.v1",
  status: "device.status.v1",
  heartbeat: "device.heartbeat.v1",
  connectors: "charging.connectors.v1",
  hopecloudModules: "hopecloud.modules.v1",
  deadLetter: "deadletter.v1",
  late: "telemetry.late.v1",
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** A compacted changelog keeps the latest state per key forever: what a processor restores from. */
export const changelogTopic = (processor: string) => `${processor}.state`;

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
