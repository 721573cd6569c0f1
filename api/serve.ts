// `wattline api`: the HTTP server with its dependencies, shut down cleanly on SIGINT/SIGTERM. Its Prometheus
// metrics are at /metrics (admin key), so the API opens no second port.
import { serve as listen } from "@hono/node-server";
import mqtt from "mqtt";
import { loadConfig } from "../deploy/config.ts";
import { installShutdown, onShutdown } from "../deploy/lifecycle.ts";
import { createLogger } from "../deploy/logger.ts";
import { createKafka } from "../pipelines/runtime/kafka.ts";
import { postgresPool } from "../pipelines/runtime/postgres.ts";
import { questdbPool } from "../pipelines/runtime/questdb.ts";
import { migrate } from "../schemas/postgres/migrate.ts";
import { createApp } from "./app.ts";

export async function serve(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger("api", config.logLevel);
  installShutdown(logger);
  // API keys live in Postgres: the schema must be current before the first request is authenticated.
  await migrate(config, logger);
  const questdb = questdbPool(config);
  const postgres = postgresPool(config);
  const broker = mqtt.connect(config.mqtt.url, {
    username: config.mqtt.username,
    password: config.mqtt.password,
    clientId: `wattline-api-${process.pid}`,
  });
  broker.on("error", (err) => logger.warn({ err: err.message }, "mqtt"));
  const app = createApp({
    kafka: createKafka(config),
    questdb,
    postgres,
    mqttConnected: () => broker.connected,
    logger,
    rateLimit: config.api.rateLimit,
    socMaxAgeS: config.api.socMaxAgeS,
    ledgerGroup: config.ledger.groupId,
  });
  const server = listen({ fetch: app.fetch, port: config.api.port, hostname: "0.0.0.0" }, (info) =>
    logger.info({ port: info.port }, `API listening on http://localhost:${info.port}`),
  );
  onShutdown(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await broker.endAsync();
    await Promise.all([questdb.end(), postgres.end()]);
  });
}
