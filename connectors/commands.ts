// `wattline connect mqtt|file`: the connector processes.
import { loadConfig } from "../ground/config.ts";
import { installShutdown, onShutdown } from "../ground/lifecycle.ts";
import { createLogger } from "../ground/logger.ts";
import { serveMetrics } from "../ground/metrics.ts";
import { announceReady } from "../ground/supervision.ts";

export async function connectMqtt(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger("mqtt-connector", config.logLevel);
  installShutdown(logger);
  await serveMetrics(config.metrics.port);
  const { startMqttConnector } = await import("./mqtt/connector.ts");
  const connector = await startMqttConnector(config, logger);
  onShutdown(() => connector.stop());
  // Subscribed: from now on the broker delivers to it (and queued for its session before).
  announceReady();
  connector.failed.catch((err: Error) => {
    logger.fatal(
      { err: err.message },
      "Kafka refused records; exiting so that the broker redelivers what was not acknowledged",
    );
    process.exit(1);
  });
}

export async function connectFile(path: string): Promise<void> {
  const config = loadConfig();
  const { backfillFile } = await import("./file/connector.ts");
  const summary = await backfillFile(config, path, process.stderr.isTTY);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
