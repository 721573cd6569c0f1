// `wattline charging reconcile [--device ID] [--dry-run] [--json]`: creates the charging points missing according
// to the connector counts in charging_connector_counts. A run that writes is recorded in job_runs.
import { loadConfig } from "../../ground/config.ts";
import { createLogger } from "../../ground/logger.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { migrate } from "../../schemas/postgres/migrate.ts";
import { loadConnectorCounts, reconcile } from "./charging-reconcile.ts";
import { formatReconcileReport } from "./charging-report.ts";
import { withJobRun } from "./job-runs.ts";

export async function chargingReconcile(opts: {
  device?: string;
  dryRun?: boolean;
  json?: boolean;
}): Promise<void> {
  const config = loadConfig();
  const applied = await migrate(config, createLogger("migrate", "warn"));
  if (applied.length > 0) process.stderr.write(`applied migrations: ${applied.join(", ")}\n`);
  const pool = postgresPool(config, 2);
  try {
    const counts = await loadConnectorCounts(pool);
    const run = () => reconcile(pool, counts, opts);
    const report = opts.dryRun
      ? await run()
      : await withJobRun(pool, "charging.reconcile", run, (r) => ({
          device: opts.device ?? null,
          created: r.created,
          stations: r.stations.length,
          not_found: r.not_found,
        }));
    if (opts.device !== undefined && report.stations.length === 0 && report.not_found.length === 0)
      process.stderr.write(`wattline charging reconcile: no connector count reported for ${opts.device}\n`);
    process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatReconcileReport(report));
  } finally {
    await pool.end();
  }
}
