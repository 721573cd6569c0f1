// The stream processors as processes: each one a Processor on the processor runtime (runtime/runtime.ts), in a
// Kafka consumer group (instances with the same group id share the partitions), with the clients it writes to.
// `wattline process status|charging` runs one.
import { type Config, loadConfig } from "../ground/config.ts";
import { createKafka } from "../ground/kafka.ts";
import { installShutdown, onShutdown } from "../ground/lifecycle.ts";
import { createLogger, type Logger } from "../ground/logger.ts";
import { serveMetrics } from "../ground/metrics.ts";
import { postgresPool } from "../ground/postgres.ts";
import { questdbPool, questdbSender } from "../ground/questdb.ts";
import { migrate } from "../schemas/postgres/migrate.ts";
import { ensureHistoryTable } from "../schemas/questdb/status-history.ts";
import { chargingProcessor } from "./charging/processor.ts";
import { BATCHING_FETCH } from "./runtime/batching-fetch.ts";
import { every } from "./runtime/periodic.ts";
import { startRuntime } from "./runtime/runtime.ts";
import { UNITS_AT_ONCE } from "./status/apply.ts";
import { statusProcessor } from "./status/processor.ts";

export interface RunningProcessor {
  /**
   * Rejects when this instance must not go on: the consumer crashed for good, a checkpoint failed, or another
   * instance took over a partition it still worked on. The process should exit.
   */
  failed: Promise<never>;
  /** Checkpoints and releases every partition, then closes every client. */
  stop(): Promise<void>;
}

export async function startStatusProcessor(config: Config, logger: Logger): Promise<RunningProcessor> {
  const { groupId, sweepMs, groupMs } = config.processors.status;
  await migrate(config, logger.child({ component: "migrate" }));
  const questdb = questdbPool(config, 1);
  try {
    await ensureHistoryTable(questdb);
  } finally {
    await questdb.end();
  }
  // The feed (device.transitions.v1) is published as transitions are decided, before their state is saved: at
  // least once, not held back until a checkpoint.
  const producer = createKafka(config, `${config.kafka.clientId}-status-feed`).producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  // One connection for each unit of work a group applies side by side.
  const pool = postgresPool(config, UNITS_AT_ONCE);
  const sender = await questdbSender(config);
  const status = statusProcessor({ pool, sender, producer }, logger, { groupMs });
  const runtime = await startRuntime(config, logger, status.processor, {
    groupId,
    consumer: BATCHING_FETCH,
  });
  const sweeper = every(sweepMs, () => status.sweep(), logger, "silence sweep");
  logger.info({ groupId, sweepMs, groupMs }, "status processor consuming");
  return {
    failed: runtime.failed,
    async stop() {
      await sweeper.stop();
      await runtime.stop();
      await producer.disconnect();
      await sender.close();
      await pool.end();
    },
  };
}

export async function startChargingProcessor(config: Config, logger: Logger): Promise<RunningProcessor> {
  const { groupId, debounceMs } = config.processors.charging;
  await migrate(config, logger.child({ component: "migrate" }));
  const pool = postgresPool(config, 2);
  // The broker holds each fetch until a window's counts are in (or a megabyte of them): one reconcile per window.
  const runtime = await startRuntime(config, logger, chargingProcessor(pool, logger), {
    groupId,
    consumer: { minBytes: 1 << 20, maxWaitTimeInMs: debounceMs },
  });
  logger.info({ groupId, debounceMs }, "charging processor consuming");
  return {
    failed: runtime.failed,
    async stop() {
      await runtime.stop();
      await pool.end();
    },
  };
}

const STARTERS = { status: startStatusProcessor, charging: startChargingProcessor };

/** `wattline process <name>`: runs until SIGINT/SIGTERM; exits 1 when the processor cannot go on. */
export async function runProcessor(name: keyof typeof STARTERS): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(`${name}-processor`, config.logLevel);
  installShutdown(logger);
  await serveMetrics(config.metrics.port);
  const processor = await STARTERS[name](config, logger);
  onShutdown(() => processor.stop());
  processor.failed.catch(() => {
    logger.fatal("exiting: what was not checkpointed is read again by the partitions' next owner");
    process.exit(1);
  });
}
