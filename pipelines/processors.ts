// The stream processors as processes: each one a Kafka consumer group (instances with the same group id share the
// partitions) with the clients it writes to. `wattline process status|charging` runs one.
import { type Config, loadConfig } from "../deploy/config.ts";
import { installShutdown, onShutdown } from "../deploy/lifecycle.ts";
import { createLogger, type Logger } from "../deploy/logger.ts";
import { migrate } from "../schemas/postgres/migrate.ts";
import { refuseCount } from "./charging/counts.ts";
import { processCounts } from "./charging/processor.ts";
import { consume } from "./runtime/consumer.ts";
import { type Consumer, createKafka } from "./runtime/kafka.ts";
import { every } from "./runtime/periodic.ts";
import { postgresPool } from "./runtime/postgres.ts";
import { questdbPool, questdbSender } from "./runtime/questdb.ts";
import { ensureTopics, TOPICS } from "./runtime/topics.ts";
import { ensureHistoryTable } from "./status/history.ts";
import { statusProcessor } from "./status/processor.ts";

export interface RunningProcessor {
  /** Rejects when the consumer crashed for good (kafkajs gave up restarting it): the process should exit. */
  failed: Promise<never>;
  /** Finishes the batch in progress (its offsets committed), then closes every client. */
  stop(): Promise<void>;
}

function crashes(consumer: Consumer, logger: Logger): Promise<never> {
  const failed = new Promise<never>((_, reject) =>
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      logger.error({ err: payload.error, restart: payload.restart }, "consumer crashed");
      if (!payload.restart) reject(payload.error);
    }),
  );
  failed.catch(() => {});
  return failed;
}

/** What both processors need before consuming: the registry schema, the topics, a producer. */
async function prepare(config: Config, logger: Logger, name: string) {
  await migrate(config, logger.child({ component: "migrate" }));
  const kafka = createKafka(config, `${config.kafka.clientId}-${name}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, config);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return { kafka, producer };
}

export async function startStatusProcessor(config: Config, logger: Logger): Promise<RunningProcessor> {
  const { groupId, sweepMs } = config.processors.status;
  const { kafka, producer } = await prepare(config, logger, "status");
  const questdb = questdbPool(config, 1);
  try {
    await ensureHistoryTable(questdb);
  } finally {
    await questdb.end();
  }
  const pool = postgresPool(config, 2);
  const sender = await questdbSender(config);
  const status = statusProcessor({ pool, sender, producer }, logger);
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 1000 });
  consumer.on(consumer.events.GROUP_JOIN, () => status.rebalanced());
  const failed = crashes(consumer, logger);
  await consumer.connect();
  await consume(consumer, producer, {
    topics: {
      [TOPICS.status]: "DeviceStatus",
      [TOPICS.heartbeat]: "Heartbeat",
      [TOPICS.telemetry]: "TelemetryReading",
    },
    refuse: (r) => (r.record.device_id === "" ? "device_id is empty" : undefined),
    process: (records, batch) => status.process(records, batch),
  });
  const sweeper = every(sweepMs, () => status.sweep(), logger, "silence sweep");
  logger.info({ groupId, sweepMs }, "status processor consuming");
  return {
    failed,
    async stop() {
      await sweeper.stop();
      await consumer.disconnect();
      await producer.disconnect();
      await sender.close();
      await pool.end();
    },
  };
}

export async function startChargingProcessor(config: Config, logger: Logger): Promise<RunningProcessor> {
  const { groupId, debounceMs } = config.processors.charging;
  const { kafka, producer } = await prepare(config, logger, "charging");
  const pool = postgresPool(config, 2);
  // The broker holds each fetch until a window's counts are in (or a megabyte of them): one reconcile per window.
  const consumer = kafka.consumer({ groupId, minBytes: 1 << 20, maxWaitTimeInMs: debounceMs });
  const failed = crashes(consumer, logger);
  await consumer.connect();
  await consume(consumer, producer, {
    topics: { [TOPICS.connectors]: "ChargingConnectorCount" },
    refuse: (r) => refuseCount(r.record),
    process: (records) => processCounts(pool, logger, records),
  });
  logger.info({ groupId, debounceMs }, "charging processor consuming");
  return {
    failed,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
      await pool.end();
    },
  };
}

const STARTERS = { status: startStatusProcessor, charging: startChargingProcessor };

/** `wattline process <name>`: runs until SIGINT/SIGTERM. */
export async function runProcessor(name: keyof typeof STARTERS): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(`${name}-processor`, config.logLevel);
  installShutdown(logger);
  const processor = await STARTERS[name](config, logger);
  onShutdown(() => processor.stop());
  processor.failed.catch(() => {
    logger.fatal(
      "exiting: the consumer cannot go on; what it did not commit is read again at the next start",
    );
    process.exit(1);
  });
}
