// `wattline import <file> [--dry-run] [--json]`: validates the registry file, brings the schema up to date, and
// imports the file in one transaction. A bad file is reported problem by problem (file:line:column) and nothing
// is written; a run that writes is recorded in job_runs.
import { readFile } from "node:fs/promises";
import { loadConfig } from "../../ground/config.ts";
import { createLogger } from "../../ground/logger.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { migrate } from "../../schemas/postgres/migrate.ts";
import { parseRegistryFile } from "./config-parse.ts";
import { importRegistry } from "./import.ts";
import { formatImportReport, totals } from "./import-report.ts";
import { withJobRun } from "./job-runs.ts";

export async function importCommand(path: string, opts: { dryRun?: boolean; json?: boolean }): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    process.stderr.write(`wattline import: cannot read ${path}: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const parsed = parseRegistryFile(text, path);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.problems.join("\n")}\n`);
    process.stderr.write(
      `wattline import: ${parsed.problems.length} problem(s) in ${path}; nothing was imported\n`,
    );
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  // Logs on stderr only: stdout carries the report (JSON with --json).
  const applied = await migrate(config, createLogger("migrate", "warn"));
  if (applied.length > 0) process.stderr.write(`applied migrations: ${applied.join(", ")}\n`);
  const pool = postgresPool(config, 2);
  try {
    const run = () => importRegistry(pool, parsed.file, { dryRun: opts.dryRun });
    const report = opts.dryRun
      ? await run()
      : await withJobRun(pool, "registry.import", run, (r) => ({ file: path, totals: totals(r.items) }));
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ dry_run: report.dryRun, totals: totals(report.items), items: report.items })}\n`
        : formatImportReport(report),
    );
  } finally {
    await pool.end();
  }
}
