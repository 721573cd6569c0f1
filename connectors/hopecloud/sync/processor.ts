// The sync processor: a Kafka consumer group over hopecloud.modules.v1 that upserts the modules into Postgres.
// A batch's offsets are committed only after its rows are written, so a crash in between redelivers the batch
// and the idempotent upsert finds nothing to change. Undecodable messages go to the dead-letter topic; each
// batch is recorded in job_runs.
import type pg from "pg";
import type { Config } from "../../../deploy/config.ts";
import type { Logger } from "../../../deploy/logger.ts";
import { createKafka, type EachBatchPayload } from "../../../pipelines/runtime/kafka.ts";
import { ensureTopics, TOPICS } from "../../../pipelines/runtime/topics.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { applyBatch } from "./apply-batch.ts";
import { sortBatch } from "./batch.ts";
import { recordJobRun, statusOf } from "./job-run.ts";
import type { SyncReport } from "./report.ts";

export const PROCESS_JOB = "hopecloud.modules.process";

export interface ModuleProcessorOptions {
  /** Default: the configured group. Instances in one group share the topic's partitions. */
  groupId?: string;
  /** Called after each batch is written and committed. */
  onBatch?: (report: SyncReport) => void;
}

export interface ModuleProcessor {
  /** Rejects when the consumer crashed for good (kafkajs gave up restarting it): the process should exit. */
  failed: Promise<never>;
  stop(): Promise<void>;
}

export const DEFAULT_GROUP_ID = "wattline-hopecloud-modules";

export async function startModuleProcessor(
  config: Config,
  pool: pg.Pool,
  logger: Logger,
  options: ModuleProcessorOptions = {},
): Promise<ModuleProcessor> {
  const groupId = options.groupId ?? DEFAULT_GROUP_ID;
  const kafka = createKafka(config, "wattline-hopecloud-processor");
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId });
  const failed = new Promise<never>((_, reject) =>
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      logger.error({ err: payload.error, restart: payload.restart }, "hopecloud processor crashed");
      if (!payload.restart) reject(payload.error);
    }),
  );
  failed.catch(() => {});
  await consumer.connect();
  // A new group starts from the oldest snapshot: replaying the log rebuilds the table.
  await consumer.subscribe({ topic: TOPICS.hopecloudModules, fromBeginning: true });
  const store = schemaStore();

  async function eachBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    // A stale batch belongs to partitions this instance lost in a rebalance: their new owner writes them.
    if (batch.isEmpty() || !isRunning() || isStale()) return;
    const startedAt = new Date();
    const sorted = sortBatch(batch.messages, (value) => store.decode(value));
    if (sorted.undecodable.length > 0) {
      await producer.send({
        topic: TOPICS.deadLetter,
        acks: -1,
        messages: sorted.undecodable.map((u) => ({
          key: u.message.key,
          value: store.encode("DeadLetter", {
            source: "stream",
            original_topic: batch.topic,
            key: u.message.key?.toString() ?? null,
            payload: u.message.value ?? Buffer.alloc(0),
            reason: u.reason,
            details: u.details,
            received_at: Date.now(),
          }),
        })),
      });
    }
    const report = await applyBatch(pool, sorted, startedAt);
    await heartbeat();
    const first = batch.firstOffset() ?? batch.messages[0]?.offset;
    const last = batch.lastOffset();
    await recordJobRun(pool, PROCESS_JOB, startedAt, statusOf(report), {
      ...report,
      kafka: {
        group_id: groupId,
        topic: batch.topic,
        partition: batch.partition,
        first_offset: first,
        last_offset: last,
      },
    });
    resolveOffset(last);
    await consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
    ]);
    logger.info(
      {
        partition: batch.partition,
        offsets: [first, last],
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        failed: report.failed,
        unknown_plants: report.unknown_plants.map((p) => p.plant_id),
      },
      "hopecloud modules batch written",
    );
    options.onBatch?.(report);
  }

  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
  return {
    failed,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
