// `wattline reconcile [--date YYYY-MM-DD] [--devices a,b]` runs the reconciliation once and prints its summary;
// `wattline jobs` runs the scheduled jobs until SIGINT/SIGTERM.
import { type Config, loadConfig } from "../../ground/config.ts";
import { installShutdown, onShutdown } from "../../ground/lifecycle.ts";
import { createLogger } from "../../ground/logger.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { questdbPool } from "../../ground/questdb.ts";
import { migrate } from "../../schemas/postgres/migrate.ts";
import { ensureLedgerTables } from "../../schemas/questdb/ledger.ts";
import { type ReconcilePools, reconcile } from "./reconcile.ts";
import { isDate } from "./reconcile-check.ts";
import { scheduleReconcile } from "./reconcile-schedule.ts";

async function openPools(config: Config): Promise<ReconcilePools> {
  await migrate(config, createLogger("migrate", "warn"));
  const pools = { postgres: postgresPool(config, 2), questdb: questdbPool(config, 4) };
  await ensureLedgerTables(pools.questdb);
  return pools;
}

export async function reconcileCommand(opts: { date?: string; devices?: string }): Promise<void> {
  if (opts.date !== undefined && !isDate(opts.date))
    throw new Error(`--date: not a date (YYYY-MM-DD): ${opts.date}`);
  const devices = opts.devices
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const config = loadConfig();
  const pools = await openPools(config);
  try {
    const summary = await reconcile(pools, {
      ...(opts.date ? { date: opts.date } : {}),
      ...(devices ? { devices } : {}),
      silentIntervals: config.jobs.reconcile.silentIntervals,
    });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    await Promise.all([pools.postgres.end(), pools.questdb.end()]);
  }
}

export async function jobsCommand(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger("jobs", config.logLevel);
  installShutdown(logger);
  const pools = await openPools(config);
  onShutdown(() => Promise.all([pools.postgres.end(), pools.questdb.end()]).then(() => {}));
  const settings = config.jobs.reconcile;
  const schedule = scheduleReconcile(
    settings,
    (signal) => reconcile(pools, { silentIntervals: settings.silentIntervals, signal }),
    logger,
  );
  onShutdown(() => schedule.stop());
  logger.info({ cron: settings.cron, timezone: settings.timezone, next: schedule.next() }, "jobs scheduled");
}
