// The sync processor: hopecloud.modules.v1 upserted into Postgres, a Processor on the processor runtime
// (stateless: its state is the rows). The runtime decodes and dead-letters what is not a HopeCloudModule; each
// batch's rows are written before its offsets are committed (at the next checkpoint), so a crash in between
// delivers the batch again and the idempotent upsert finds nothing to change. Each batch is recorded in job_runs.
import type pg from "pg";
import type { Config } from "../../../ground/config.ts";
import type { Logger } from "../../../ground/logger.ts";
import { TOPICS } from "../../../ground/topics.ts";
import type { Processor } from "../../../pipelines/runtime/processor.ts";
import { startRuntime } from "../../../pipelines/runtime/runtime.ts";
import { applyBatch } from "./apply-batch.ts";
import { latestByPlant, type SortedBatch } from "./batch.ts";
import { recordJobRun, statusOf } from "./job-run.ts";
import type { SyncReport } from "./report.ts";

export const PROCESS_JOB = "hopecloud.modules.process";

export interface ModuleProcessorOptions {
  /** Default: the configured group. Instances in one group share the topic's partitions. */
  groupId?: string;
  /** Called after each batch is written (its offsets are committed at the next checkpoint). */
  onBatch?: (report: SyncReport) => void;
}

export interface ModuleProcessor {
  /** Rejects when this instance must not go on (see RunningRuntime.failed): the process should exit. */
  failed: Promise<never>;
  stop(): Promise<void>;
}

export const DEFAULT_GROUP_ID = "wattline-hopecloud-modules";

export function moduleProcessor(
  pool: pg.Pool,
  logger: Logger,
  groupId: string,
  onBatch?: (report: SyncReport) => void,
): Processor<"HopeCloudModule"> {
  return {
    name: "hopecloud-modules",
    topics: { [TOPICS.hopecloudModules]: "HopeCloudModule" },
    async process(_ctx, records, batch) {
      const startedAt = new Date();
      const sorted: SortedBatch = {
        // One key, one partition: within a batch, a module's later snapshot replaces its earlier one.
        byPlant: latestByPlant(records.map((r) => r.record)),
        undecodable: batch.deadLetters.map(({ offset, letter }) => ({
          message: {
            offset: String(offset),
            key: letter.key === null ? null : Buffer.from(letter.key),
            value: letter.payload,
          },
          reason: letter.reason,
          details: letter.details ?? "",
        })),
      };
      const report = await applyBatch(pool, sorted, startedAt);
      const first = String(batch.firstOffset);
      const last = String(batch.lastOffset);
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
      onBatch?.(report);
    },
  };
}

export async function startModuleProcessor(
  config: Config,
  pool: pg.Pool,
  logger: Logger,
  options: ModuleProcessorOptions = {},
): Promise<ModuleProcessor> {
  const groupId = options.groupId ?? DEFAULT_GROUP_ID;
  // A new group starts from the oldest snapshot: replaying the log rebuilds the table.
  return startRuntime(config, logger, moduleProcessor(pool, logger, groupId, options.onBatch), {
    groupId,
    clientId: "wattline-hopecloud-processor",
  });
}
