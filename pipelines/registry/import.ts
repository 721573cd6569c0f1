// Imports a validated registry file in one transaction: every planned row is created, changed or left alone, and
// any failure leaves the database as it was. Imports run one at a time (a transaction-level advisory lock).
import type pg from "pg";
import type { RegistryFile } from "./config-schema.ts";
import { type Cell, type PlannedRow, planImport, type RegistryTable } from "./import-plan.ts";
import type { ImportItem, ImportReport } from "./import-report.ts";
import { inTransaction } from "./transaction.ts";
import { upsertRow } from "./upsert.ts";

const IMPORT_LOCK = 0x5761_7474_0001;

/** The column that identifies a table's rows to their children; attachments have no children. */
const ID_COLUMN: Record<RegistryTable, string | null> = {
  adapter_types: "id",
  sites: "id",
  systems: "id",
  devices: "device_id",
  adapters: "id",
  inverter_arrays: "id",
  battery_arrays: "id",
  battery_array_attachments: null,
  inverters: "id",
  battery_packs: "id",
  batteries: "id",
  cells: "id",
  meters: "id",
};

export class ImportError extends Error {}

type Ids = Map<RegistryTable, Map<string, unknown>>;

function resolve(cells: Record<string, Cell>, ids: Ids): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, cell] of Object.entries(cells)) {
    if (cell !== null && typeof cell === "object" && "ref" in cell) {
      const id = ids.get(cell.ref)?.get(cell.label);
      // The plan puts parents first, so a miss is a bug in the plan, not in the file.
      if (id === undefined) throw new Error(`unresolved reference to ${cell.ref} ${cell.label}`);
      out[column] = id;
    } else if (cell !== null && typeof cell === "object") out[column] = JSON.stringify(cell.json);
    else out[column] = cell;
  }
  return out;
}

async function write(client: pg.ClientBase, row: PlannedRow, ids: Ids): Promise<ImportItem> {
  try {
    const result = await upsertRow(client, row.table, resolve(row.key, ids), resolve(row.values, ids));
    const idColumn = ID_COLUMN[row.table];
    if (idColumn !== null) {
      if (!ids.has(row.table)) ids.set(row.table, new Map());
      ids.get(row.table)?.set(row.label, result.row[idColumn]);
    }
    return { table: row.table, label: row.label, outcome: result.outcome, changed: result.changed };
  } catch (e) {
    const detail = (e as { detail?: string }).detail;
    const message = `${row.table} ${row.label}: ${(e as Error).message}${detail ? ` (${detail})` : ""}`;
    throw new ImportError(message, { cause: e });
  }
}

export async function importRegistry(
  pool: pg.Pool,
  file: RegistryFile,
  { dryRun = false }: { dryRun?: boolean } = {},
): Promise<ImportReport> {
  const rows = planImport(file);
  const items = await inTransaction(
    pool,
    async (client) => {
      await client.query("SELECT pg_advisory_xact_lock($1)", [IMPORT_LOCK]);
      const ids: Ids = new Map();
      const done: ImportItem[] = [];
      for (const row of rows) done.push(await write(client, row, ids));
      return done;
    },
    { commit: !dryRun },
  );
  return { dryRun, items };
}
