// The `wattline` commands of the HopeCloud connector: connect (poll → Kafka), process (Kafka → Postgres), and
// sync (the one-shot fetch → Postgres). `hopecloud simulate` lives with the simulator.
import { pino } from "pino";
import { type Config, loadConfig } from "../../ground/config.ts";
import { installShutdown, onShutdown } from "../../ground/lifecycle.ts";
import { createLogger, type Logger } from "../../ground/logger.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { migrate } from "../../schemas/postgres/migrate.ts";
import { hopecloudClient } from "./client/from-config.ts";

/** `--site-ids a,b` → ["a", "b"]; absent → every site. */
function parseSiteIds(list: string | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  const ids = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new Error("--site-ids lists no site");
  return ids;
}

/** For commands whose stdout carries a JSON result: their logs go to stderr. */
const stderrLogger = (name: string, config: Config): Logger =>
  pino({ name, level: config.logLevel }, pino.destination(2));

export async function connectHopecloud(opts: { once?: boolean; siteIds?: string }): Promise<void> {
  const config = loadConfig();
  const siteIds = parseSiteIds(opts.siteIds);
  const logger = opts.once
    ? stderrLogger("hopecloud-connector", config)
    : createLogger("hopecloud-connector", config.logLevel);
  await migrate(config, logger.child({ component: "migrate" }));
  const pool = postgresPool(config, 2);
  const client = hopecloudClient(config, logger);
  const { startHopeCloudConnector } = await import("./connector/connector.ts");
  const connector = await startHopeCloudConnector(config, pool, client, logger, { siteIds });
  if (opts.once) {
    try {
      const summary = await connector.poll();
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      if (summary.errors.length > 0) process.exitCode = 1;
    } finally {
      await connector.stop();
      await pool.end();
    }
    return;
  }
  installShutdown(logger);
  onShutdown(() => pool.end());
  onShutdown(() => connector.stop());
  connector.failed.catch((err: Error) => {
    logger.fatal({ err: err.message }, "Kafka refused records; exiting");
    process.exit(1);
  });
  connector.schedule(config.hopecloud.pollCron);
  logger.info(
    { url: config.hopecloud.url, cron: config.hopecloud.pollCron, siteIds },
    "hopecloud connector polling",
  );
}

export async function hopecloudProcess(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger("hopecloud-processor", config.logLevel);
  installShutdown(logger);
  await migrate(config, logger.child({ component: "migrate" }));
  const pool = postgresPool(config, 4);
  onShutdown(() => pool.end());
  const { startModuleProcessor } = await import("./sync/processor.ts");
  const processor = await startModuleProcessor(config, pool, logger);
  onShutdown(() => processor.stop());
  processor.failed.catch(() => process.exit(1));
}

export async function hopecloudSync(opts: { siteIds?: string }): Promise<void> {
  const config = loadConfig();
  const siteIds = parseSiteIds(opts.siteIds);
  const logger = stderrLogger("hopecloud-sync", config);
  await migrate(config, logger.child({ component: "migrate" }));
  const pool = postgresPool(config, 2);
  const client = hopecloudClient(config, logger);
  const { syncCommunicationModules } = await import("./sync/one-shot.ts");
  try {
    const report = await syncCommunicationModules(pool, client, { siteIds });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (report.failed > 0) process.exitCode = 1;
  } finally {
    client.close();
    await pool.end();
  }
}
