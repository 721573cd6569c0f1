// `wattline api`: the HTTP server with its dependencies and the live feed (WebSocket upgrades on the same port),
// shut down cleanly on SIGINT/SIGTERM. Its Prometheus metrics are at /metrics (admin key), so the API opens no
// second port.
import { serve as listen } from "@hono/node-server";
import mqtt from "mqtt";
import type { HopeCloudClient } from "../connectors/hopecloud/client/client.ts";
import { hopecloudClient } from "../connectors/hopecloud/client/from-config.ts";
import { loadConfig } from "../ground/config.ts";
import { createKafka } from "../ground/kafka.ts";
import { installShutdown, onShutdown } from "../ground/lifecycle.ts";
import { createLogger } from "../ground/logger.ts";
import { postgresPool } from "../ground/postgres.ts";
import { questdbPool } from "../ground/questdb.ts";
import { announceReady, supervisedComponents } from "../ground/supervision.ts";
import { migrate } from "../schemas/postgres/migrate.ts";
import { ensureLedgerTables } from "../schemas/questdb/ledger.ts";
import { createApp } from "./app.ts";
import { BackgroundJobs } from "./background.ts";
import { VersionedGroupRows } from "./energy/group-rows.ts";
import { HealthMonitor } from "./health.ts";
import { ReplacementProducer } from "./replacements/producer.ts";
import { startLiveMonitoring } from "./ws/server.ts";

export async function serve(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger("api", config.logLevel);
  installShutdown(logger);
  // API keys live in Postgres: the schema must be current before the first request is authenticated.
  await migrate(config, logger);
  const questdb = questdbPool(config);
  // The energy routes read the ledger's tables: make sure they exist (with their DEDUP keys) before any query.
  await ensureLedgerTables(questdb);
  const postgres = postgresPool(config);
  const kafka = createKafka(config);
  const broker = mqtt.connect(config.mqtt.url, {
    username: config.mqtt.username,
    password: config.mqtt.password,
    clientId: `wattline-api-${process.pid}`,
  });
  broker.on("error", (err) => logger.warn({ err: err.message }, "mqtt"));
  const jobs = new BackgroundJobs(postgres, logger);
  const live = startLiveMonitoring(
    { kafka, config, postgres, questdb, logger },
    { coalesceMs: config.api.wsCoalesceMs },
  );
  let cloud: HopeCloudClient | undefined;
  const replacements = new ReplacementProducer(kafka);
  const dependencies = { kafka, questdb, postgres, mqttConnected: () => broker.connected };
  const health = new HealthMonitor(dependencies, { logger, components: supervisedComponents() });
  health.start();
  const groupRows =
    config.api.groupRowsPollMs > 0
      ? new VersionedGroupRows(questdb, { pollMs: config.api.groupRowsPollMs, logger })
      : undefined;
  await groupRows?.start();
  const app = createApp({
    ...dependencies,
    health,
    logger,
    rateLimit: config.api.rateLimit,
    anonymousRateLimit: config.api.anonymousRateLimit,
    socMaxAgeS: config.api.socMaxAgeS,
    ledgerGroup: config.ledger.groupId,
    config,
    hopecloud: () => (cloud ??= hopecloudClient(config, logger)),
    jobs,
    monitoring: live.monitor,
    broadcasts: live.broadcasts,
    replacements,
    ...(groupRows ? { groupRows } : {}),
  });
  const server = listen(
    { fetch: app.fetch, port: config.api.port, hostname: "0.0.0.0", websocket: { server: live.wss } },
    (info) => {
      logger.info({ port: info.port }, `API listening on http://localhost:${info.port}`);
      announceReady();
    },
  );
  onShutdown(async () => {
    // WebSocket clients first: the HTTP server's close waits for every connection to end.
    await live.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await jobs.stop();
    await replacements.stop();
    await health.stop();
    await groupRows?.stop();
    cloud?.close();
    await broker.endAsync();
    await Promise.all([questdb.end(), postgres.end()]);
  });
}
