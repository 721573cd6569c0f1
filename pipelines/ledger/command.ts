// `wattline process ledger`: the ledger stream processor as a process.
import { loadConfig } from "../../deploy/config.ts";
import { installShutdown, onShutdown } from "../../deploy/lifecycle.ts";
import { createLogger } from "../../deploy/logger.ts";
import { serveMetrics } from "../../deploy/metrics.ts";
import { migrate } from "../../schemas/postgres/migrate.ts";
import { startLedgerProcessor } from "./processor.ts";

export async function runLedger(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger("ledger", config.logLevel);
  installShutdown(logger);
  await migrate(config, logger);
  await serveMetrics(config.metrics.port);
  const processor = await startLedgerProcessor(config, logger);
  onShutdown(() => processor.stop());
}
