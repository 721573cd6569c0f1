// `wattline process ledger`: the ledger stream processor as a process.
import { loadConfig } from "../../ground/config.ts";
import { installShutdown, onShutdown } from "../../ground/lifecycle.ts";
import { createLogger } from "../../ground/logger.ts";
import { serveMetrics } from "../../ground/metrics.ts";
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
  processor.failed.catch(() => {
    logger.fatal(
      "exiting: this instance must not go on; what it did not checkpoint is read again by the next owner",
    );
    process.exit(1);
  });
}
