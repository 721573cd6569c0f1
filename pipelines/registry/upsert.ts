// Writes one row found by a unique key: inserts it when missing, updates only the columns that differ, and
// otherwise leaves it untouched (no write, so no updated_at bump and no device_settings notification).
import { isDeepStrictEqual } from "node:util";
import type pg from "pg";
import type { Outcome } from "./import-report.ts";

export interface UpsertResult {
  /** The row as stored afterwards, column → value as jsonb gives it. */
  row: Record<string, unknown>;
  outcome: Outcome;
  changed: string[];
}

// Table and column names come from the importer's plan, never from the file; quoting still keeps them inert.
function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return `"${name}"`;
}

const params = (from: number, count: number) => Array.from({ length: count }, (_, i) => `$${from + i}`);

export async function upsertRow(
  client: pg.ClientBase,
  table: string,
  key: Record<string, unknown>,
  values: Record<string, unknown>,
): Promise<UpsertResult> {
  const keyColumns = Object.keys(key).map(ident);
  const valueColumns = Object.keys(values).map(ident);
  const keyParams = params(1, keyColumns.length);
  const where = keyColumns.map((c, i) => `${c} = ${keyParams[i]}`).join(" AND ");
  const found = await client.query<{ row: Record<string, unknown> }>(
    `SELECT to_jsonb(t) AS row FROM ${ident(table)} t WHERE ${where} FOR UPDATE`,
    Object.values(key),
  );
  const before = found.rows[0]?.row;
  if (before === undefined) {
    const inserted = await client.query<{ row: Record<string, unknown> }>(
      `INSERT INTO ${ident(table)} AS t (${[...keyColumns, ...valueColumns].join(", ")})
       VALUES (${params(1, keyColumns.length + valueColumns.length).join(", ")}) RETURNING to_jsonb(t) AS row`,
      [...Object.values(key), ...Object.values(values)],
    );
    const row = inserted.rows[0]?.row;
    if (row === undefined) throw new Error(`insert into ${table} returned no row`);
    return { row, outcome: "created", changed: [] };
  }
  if (valueColumns.length === 0) return { row: before, outcome: "unchanged", changed: [] };
  const valueParams = params(keyColumns.length + 1, valueColumns.length);
  const updated = await client.query<{ row: Record<string, unknown> }>(
    `UPDATE ${ident(table)} AS t SET ${valueColumns.map((c, i) => `${c} = ${valueParams[i]}`).join(", ")}
     WHERE ${where} AND (${valueColumns.join(", ")}) IS DISTINCT FROM (${valueParams.join(", ")})
     RETURNING to_jsonb(t) AS row`,
    [...Object.values(key), ...Object.values(values)],
  );
  const after = updated.rows[0]?.row;
  if (after === undefined) return { row: before, outcome: "unchanged", changed: [] };
  const changed = Object.keys(values).filter((c) => !isDeepStrictEqual(before[c], after[c]));
  return { row: after, outcome: "changed", changed };
}
