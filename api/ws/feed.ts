// This API process's own view of the live topics: a consumer group of its own (unique per process, so every
// instance sees every record and can serve every system) reading telemetry, status transitions and admins'
// broadcasts from the latest offset. Nothing is committed: a restarted process starts again at the end, and its
// group is deleted on stop.

import type { Config } from "../../ground/config.ts";
import type { Kafka } from "../../ground/kafka.ts";
import type { Logger } from "../../ground/logger.ts";
import { ensureTopics, TOPICS } from "../../ground/topics.ts";
import { decodeBatch } from "../../pipelines/runtime/consumed.ts";
import type { DeviceStatus, TelemetryReading } from "../../schemas/generated/types.ts";
import { type ClientBroadcast, decodeBroadcasts } from "./broadcast.ts";

export interface FeedHandlers {
  reading(r: TelemetryReading): void;
  status(s: DeviceStatus): void;
  broadcast(b: ClientBroadcast): void;
}

export interface LiveFeed {
  groupId: string;
  /** Resolves once the consumer has its partitions and positions: records produced from then on are seen. */
  ready: Promise<void>;
  stats(): { group_id: string; ready: boolean; records: number; last_record_at: string | null };
  stop(): Promise<void>;
}

export async function startFeed(
  kafka: Kafka,
  config: Config,
  handlers: FeedHandlers,
  logger: Logger,
  instanceId: string,
): Promise<LiveFeed> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, config);
  } finally {
    await admin.disconnect();
  }
  const groupId = `wattline-api-feed-${instanceId}`;
  // A fetch is answered once 16 KiB (some 150 readings) are there or after 50 ms: as soon as one byte arrives, a
  // busy feed fetched hundreds of times a second, a few records each. Updates are coalesced for
  // WATTLINE_WS_COALESCE_MS (50) anyway, and a stop does not wait long.
  const consumer = kafka.consumer({ groupId, minBytes: 16 * 1024, maxWaitTimeInMs: 50 });
  let records = 0;
  let lastAt: number | null = null;
  let isReady = false;
  // The first fetch after joining comes after the positions were resolved (to the end of each partition).
  const ready = new Promise<void>((resolve) => {
    const off = consumer.on(consumer.events.FETCH, () => {
      isReady = true;
      off();
      resolve();
    });
  });
  try {
    await consumer.connect();
    await consumer.subscribe({
      topics: [TOPICS.telemetry, TOPICS.transitions, TOPICS.broadcasts],
      fromBeginning: false,
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        records += batch.messages.length;
        lastAt = Date.now();
        if (batch.topic === TOPICS.telemetry)
          for (const r of decodeBatch(batch.topic, "TelemetryReading", batch.messages).records)
            handlers.reading(r.record);
        else if (batch.topic === TOPICS.transitions)
          for (const s of decodeBatch(batch.topic, "DeviceStatus", batch.messages).records)
            handlers.status(s.record);
        else for (const b of decodeBroadcasts(batch.topic, batch.messages, logger)) handlers.broadcast(b);
      },
    });
  } catch (err) {
    await consumer.disconnect().catch(() => {});
    throw err;
  }
  logger.info({ groupId }, "live feed consuming");
  return {
    groupId,
    ready,
    stats: () => ({
      group_id: groupId,
      ready: isReady,
      records,
      last_record_at: lastAt === null ? null : new Date(lastAt).toISOString(),
    }),
    async stop() {
      await consumer.disconnect();
      const cleanup = kafka.admin();
      await cleanup.connect();
      await cleanup.deleteGroups([groupId]).catch(() => {});
      await cleanup.disconnect();
    },
  };
}
