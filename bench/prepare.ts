// What a benchmark needs of the stack before it measures anything, done by the benchmark itself so that one runs
// right after `wattline stack up`: the registry's schema (the ledger reads device settings from it) and the
// ledger's QuestDB tables. Both are idempotent.
import type { Config } from "../ground/config.ts";
import { createLogger } from "../ground/logger.ts";
import { questdbPool } from "../ground/questdb.ts";
import { migrate } from "../schemas/postgres/migrate.ts";
import { ensureLedgerTables } from "../schemas/questdb/ledger.ts";

export async function prepareStack(config: Config): Promise<void> {
  await migrate(config, createLogger("migrate", "warn"));
  const questdb = questdbPool(config, 1);
  try {
    await ensureLedgerTables(questdb);
  } finally {
    await questdb.end();
  }
}
