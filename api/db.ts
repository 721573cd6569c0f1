// Postgres access for the routes: always parameterised, with rows already in their JSON form. The type parsers are
// passed per query rather than set globally, so other modules sharing the process keep pg's defaults.
import pg from "pg";

export type Db = pg.Pool | pg.PoolClient;

const types = new pg.TypeOverrides();
// bigint ids and counts as numbers: identity sequences stay far below 2^53.
types.setTypeParser(pg.types.builtins.INT8, Number);
types.setTypeParser(pg.types.builtins.NUMERIC, Number);
const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ);
types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (text) => (parseTimestamptz(text) as Date).toISOString());

export async function rows<T extends pg.QueryResultRow>(
  db: Db,
  text: string,
  values: readonly unknown[] = [],
): Promise<T[]> {
  return (await db.query<T>({ text, values: [...values], types })).rows;
}

export async function row<T extends pg.QueryResultRow>(
  db: Db,
  text: string,
  values: readonly unknown[] = [],
): Promise<T | undefined> {
  return (await rows<T>(db, text, values))[0];
}

/** Quotes a table or column name that the code (never the request) chose. */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return `"${name}"`;
}

/** Builds `col = $n, …` from the keys present (not undefined) in `changes`, numbering from `from`. */
export function setClause(
  changes: Record<string, unknown>,
  from: number,
): { sql: string; values: unknown[] } | undefined {
  const entries = Object.entries(changes).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return undefined;
  return {
    sql: entries.map(([column], i) => `${ident(column)} = $${from + i}`).join(", "),
    values: entries.map(([, v]) => v),
  };
}
