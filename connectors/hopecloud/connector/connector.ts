// `wattline connect hopecloud`: polls HopeCloud on a schedule and publishes Avro records: module snapshots to
// hopecloud.modules.v1 (key: module id), inverter energy as TelemetryReadings to telemetry.energy.v1 (key: device
// id), invalid cloud records to the dead-letter topic. A poll ends when Kafka has acknowledged everything it found.
import cron, { type ScheduledTask } from "node-cron";
import type pg from "pg";
import { type Config, ConfigError } from "../../../ground/config.ts";
import type { Logger } from "../../../ground/logger.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { openRecordSink } from "../../../pipelines/runtime/record-sink.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import type { DeadLetter } from "../../../schemas/generated/types.ts";
import { PATHS } from "../api/paths.ts";
import type { HopeCloudClient } from "../client/client.ts";
import { rejectedRecord } from "./dead-letter.ts";
import { FreshReadings } from "./fresh-readings.ts";
import { pollPlant } from "./poll-plant.ts";
import { pollTargets } from "./targets.ts";

export interface PollSummary {
  started_at: string;
  finished_at: string;
  plants: number;
  modules: number;
  readings: number;
  /** Readings whose data timestamp had not moved on since the last poll. */
  stale_readings: number;
  dead_letters: number;
  errors: { plant_id: string | null; message: string }[];
}

export interface HopeCloudConnectorOptions {
  /** Only these Wattline sites' plants; default every plant the cloud lists. */
  siteIds?: readonly string[];
  now?: () => number;
}

export interface HopeCloudConnector {
  poll(): Promise<PollSummary>;
  /** Polls on the cron schedule (never two polls at once) until stopped. */
  schedule(expression: string): void;
  /** Rejects when Kafka refuses records for good. */
  failed: Promise<never>;
  stop(): Promise<void>;
}

/** The connector owns `client`: stop() closes it. */
export async function startHopeCloudConnector(
  config: Config,
  pool: pg.Pool,
  client: HopeCloudClient,
  logger: Logger,
  options: HopeCloudConnectorOptions = {},
): Promise<HopeCloudConnector> {
  const now = options.now ?? Date.now;
  const store = schemaStore();
  const sink = await openRecordSink(config, "wattline-hopecloud-connector");
  const { batches, failed } = sink;
  const fresh = new FreshReadings();
  let task: ScheduledTask | undefined;
  let inFlight: Promise<PollSummary> | undefined;

  async function poll(): Promise<PollSummary> {
    const startedAt = new Date(now());
    const summary: PollSummary = {
      started_at: startedAt.toISOString(),
      finished_at: "",
      plants: 0,
      modules: 0,
      readings: 0,
      stale_readings: 0,
      dead_letters: 0,
      errors: [],
    };
    const deadLetter = (value: DeadLetter) => {
      batches.add(TOPICS.deadLetter, value.key, store.encode("DeadLetter", value));
      summary.dead_letters++;
    };
    const { targets, problems, rejected } = await pollTargets(pool, client, options.siteIds);
    for (const problem of problems) summary.errors.push({ plant_id: null, message: problem });
    for (const r of rejected) deadLetter(rejectedRecord(PATHS.plants, r, now()));
    for (const target of targets) {
      const result = await pollPlant(client, target, now, config.ingest.maxFutureMs);
      summary.plants++;
      for (const m of result.modules)
        batches.add(TOPICS.hopecloudModules, m.module_id, store.encode("HopeCloudModule", m));
      summary.modules += result.modules.length;
      for (const r of result.readings) {
        if (!fresh.admit(r)) {
          summary.stale_readings++;
          continue;
        }
        batches.add(TOPICS.telemetry, r.device_id, store.encode("TelemetryReading", r));
        summary.readings++;
      }
      result.rejected.forEach(deadLetter);
      for (const message of result.errors) summary.errors.push({ plant_id: target.plant_id, message });
    }
    await batches.flush();
    summary.finished_at = new Date(now()).toISOString();
    return summary;
  }

  /** Logs instead of throwing: a failed poll is retried by the next one. */
  async function scheduledPoll(): Promise<void> {
    if (inFlight) {
      logger.warn("the previous hopecloud poll is still running; skipping this one");
      return;
    }
    inFlight = poll();
    try {
      const summary = await inFlight;
      const level = summary.errors.length > 0 ? "warn" : "info";
      logger[level](summary, "hopecloud poll done");
    } catch (err) {
      logger.error({ err: (err as Error).message }, "hopecloud poll failed");
    } finally {
      inFlight = undefined;
    }
  }

  return {
    poll,
    failed,
    schedule(expression) {
      if (!cron.validate(expression)) {
        throw new ConfigError(`WATTLINE_HOPECLOUD_POLL_CRON: not a cron expression: ${expression}`);
      }
      task = cron.schedule(expression, scheduledPoll, { name: "hopecloud-poll", noOverlap: true });
      void scheduledPoll();
    },
    async stop() {
      await task?.destroy();
      client.close();
      await inFlight?.catch(() => {});
      await sink.close().catch(() => {});
    },
  };
}
