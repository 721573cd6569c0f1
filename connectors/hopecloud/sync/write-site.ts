// Writes one site's modules in one transaction, each found by its HopeCloud id: inserted when new, updated only in
// the columns that differ, untouched (no write, updated_at kept) when equal. A module whose row the database
// refuses is rolled back to its savepoint and reported while the site's other modules are kept; a transient error
// (connection lost, deadlock, …) rolls the site back and is thrown.
import type pg from "pg";
import { inTransaction } from "../../../pipelines/registry/transaction.ts";
import { upsertRow } from "../../../pipelines/registry/upsert.ts";
import type { HopeCloudModule } from "../../../schemas/generated/types.ts";
import { describeDbError, isTransient } from "./db-errors.ts";
import { moduleColumns } from "./module-row.ts";

export type ModuleOutcome =
  | { module_id: string; outcome: "created" | "unchanged" }
  | { module_id: string; outcome: "updated"; changed: string[] }
  | { module_id: string; outcome: "failed"; error: string };

export function writeSiteModules(
  pool: pg.Pool,
  siteId: string,
  records: readonly HopeCloudModule[],
): Promise<ModuleOutcome[]> {
  return inTransaction(pool, async (client) => {
    const outcomes: ModuleOutcome[] = [];
    for (const r of records) {
      await client.query("SAVEPOINT module");
      try {
        const result = await upsertRow(
          client,
          "communication_modules",
          { hopecloud_id: r.module_id },
          moduleColumns(siteId, r),
        );
        await client.query("RELEASE SAVEPOINT module");
        outcomes.push(
          result.outcome === "changed"
            ? { module_id: r.module_id, outcome: "updated", changed: result.changed }
            : { module_id: r.module_id, outcome: result.outcome },
        );
      } catch (e) {
        if (isTransient(e)) throw e;
        await client.query("ROLLBACK TO SAVEPOINT module");
        outcomes.push({ module_id: r.module_id, outcome: "failed", error: describeDbError(e) });
      }
    }
    return outcomes;
  });
}

/** HopeCloud ids of the site's rows that the cloud no longer lists (reported, never deleted). */
export async function missingModules(
  pool: pg.Pool,
  siteId: string,
  listed: readonly string[],
): Promise<string[]> {
  const { rows } = await pool.query<{ hopecloud_id: string }>(
    `SELECT hopecloud_id FROM communication_modules
     WHERE site_id = $1 AND NOT (hopecloud_id = ANY($2)) ORDER BY hopecloud_id`,
    [siteId, listed],
  );
  return rows.map((r) => r.hopecloud_id);
}
