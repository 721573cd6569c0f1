// List, get, create, update and delete routes of one registry table, made from a description of the table. SQL
// identifiers come from the description (code), values from validated input as parameters: nothing a client sends
// is ever spliced into SQL text.
import type pg from "pg";
import { z } from "zod";
import { inTransaction } from "../../pipelines/registry/transaction.ts";
import type { Role } from "../auth/roles.ts";
import { type Db, ident, row, rows, setClause } from "../db.ts";
import { notFound } from "../errors.ts";
import { type AnyRoute, defineRoute } from "../openapi/route.ts";
import { Deleted, decodeCursor, PageQuery, page, toPage } from "../schemas.ts";

type Values = Record<string, unknown>;

export interface Resource {
  /** Singular, in messages: "system". */
  name: string;
  /** In operation ids: getSystem, listSystems. */
  singular: string;
  plural: string;
  tag: string;
  /** Collection path, e.g. /api/v1/systems. */
  path: string;
  /** Path parameter naming one record, e.g. system_id. */
  param: string;
  paramSchema: z.ZodType<string | number>;
  table: string;
  /** The key column (also the sort key of lists). */
  key: string;
  keyKind: "number" | "string";
  /** `SELECT … FROM <table> t …` giving the response columns; WHERE and ORDER BY are appended. */
  select: string;
  row: z.ZodObject;
  /** List filters: query parameter → schema and the SQL column (of alias t) it compares with. */
  filters?: Record<string, { schema: z.ZodType; column: string }>;
  create?: { body: z.ZodType; columns: readonly string[] };
  update?: { body: z.ZodObject; columns: readonly string[] };
  /** Writes what is not a column of the table (e.g. link rows), inside the create/update transaction. */
  afterWrite?: (client: pg.PoolClient, key: string | number, body: Values) => Promise<void>;
  delete?: boolean;
  /** Role needed to write; reads need viewer. */
  writeRole?: Role;
}

const pick = (body: Values, columns: readonly string[]): Values =>
  Object.fromEntries(columns.filter((c) => body[c] !== undefined).map((c) => [c, body[c]]));

/** One record by key in the resource's response shape, or a 404. */
export function getter<T extends pg.QueryResultRow = Values>(db: Db, r: Resource) {
  return async (key: string | number): Promise<T> => {
    const found = await row<T>(db, `${r.select} WHERE t.${ident(r.key)} = $1`, [key]);
    if (found === undefined) throw notFound(r.name, key);
    return found;
  };
}

export function crudRoutes(db: pg.Pool, r: Resource): AnyRoute[] {
  const writeRole = r.writeRole ?? "operator";
  const Params = z.strictObject({ [r.param]: r.paramSchema });
  const keyOf = (params: Values) => params[r.param] as string | number;
  const getOne = getter(db, r);
  const filters = r.filters ?? {};
  const routes: AnyRoute[] = [
    defineRoute({
      method: "get",
      path: r.path,
      operationId: `list${r.plural}`,
      summary: `List ${r.plural.toLowerCase()}${Object.keys(filters).length > 0 ? `, filtered by ${Object.keys(filters).join(", ")}` : ""}`,
      tag: r.tag,
      role: "viewer",
      request: {
        query: z.strictObject({
          ...PageQuery,
          ...Object.fromEntries(Object.entries(filters).map(([name, f]) => [name, f.schema.optional()])),
        }),
      },
      response: {
        status: 200,
        description: `A page of ${r.plural.toLowerCase()}, by ${r.key}`,
        schema: page(r.row),
      },
      handler: async ({ query }) => {
        const q = query as Values & { limit: number; cursor?: string };
        const where: string[] = [];
        const values: unknown[] = [];
        for (const [name, f] of Object.entries(filters)) {
          if (q[name] === undefined) continue;
          values.push(q[name]);
          where.push(`${f.column} = $${values.length}`);
        }
        const after = decodeCursor(q.cursor, r.keyKind);
        if (after !== undefined) {
          values.push(after);
          where.push(`t.${ident(r.key)} > $${values.length}`);
        }
        values.push(q.limit + 1);
        const found = await rows<Values>(
          db,
          `${r.select} ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
           ORDER BY t.${ident(r.key)} LIMIT $${values.length}`,
          values,
        );
        return toPage(found, q.limit, (x) => x[r.key] as string | number);
      },
    }),
    defineRoute({
      method: "get",
      path: `${r.path}/:${r.param}`,
      operationId: `get${r.singular}`,
      summary: `One ${r.name}`,
      tag: r.tag,
      role: "viewer",
      request: { params: Params },
      response: { status: 200, description: `The ${r.name}`, schema: r.row },
      handler: async ({ params }) => getOne(keyOf(params)),
    }),
  ];
  const { create, update } = r;
  if (create !== undefined) {
    routes.push(
      defineRoute({
        method: "post",
        path: r.path,
        operationId: `create${r.singular}`,
        summary: `Create a ${r.name}`,
        tag: r.tag,
        role: writeRole,
        conflicts: true,
        request: { body: create.body },
        response: { status: 201, description: `The ${r.name} as stored`, schema: r.row },
        handler: async ({ body }) => {
          const key = await inTransaction(db, async (client) => {
            const values = pick(body as Values, create.columns);
            const columns = Object.keys(values);
            const inserted = await row<{ key: string | number }>(
              client,
              `INSERT INTO ${ident(r.table)} (${columns.map(ident).join(", ")})
               VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")}) RETURNING ${ident(r.key)} AS key`,
              Object.values(values),
            );
            if (inserted === undefined) throw new Error(`insert into ${r.table} returned no row`);
            await r.afterWrite?.(client, inserted.key, body as Values);
            return inserted.key;
          });
          return getOne(key);
        },
      }),
    );
  }
  if (update !== undefined) {
    routes.push(
      defineRoute({
        method: "patch",
        path: `${r.path}/:${r.param}`,
        operationId: `update${r.singular}`,
        summary: `Change a ${r.name}: only the fields given; null clears an optional field`,
        tag: r.tag,
        role: writeRole,
        conflicts: true,
        request: { params: Params, body: update.body },
        response: { status: 200, description: `The ${r.name} as stored`, schema: r.row },
        handler: async ({ params, body }) => {
          const key = keyOf(params);
          await inTransaction(db, async (client) => {
            const set = setClause(pick(body as Values, update.columns), 2);
            const found = await row(
              client,
              set === undefined
                ? `SELECT 1 FROM ${ident(r.table)} WHERE ${ident(r.key)} = $1 FOR UPDATE`
                : `UPDATE ${ident(r.table)} SET ${set.sql} WHERE ${ident(r.key)} = $1 RETURNING 1`,
              [key, ...(set?.values ?? [])],
            );
            if (found === undefined) throw notFound(r.name, key);
            await r.afterWrite?.(client, key, body as Values);
          });
          return getOne(key);
        },
      }),
    );
  }
  if (r.delete) {
    routes.push(
      defineRoute({
        method: "delete",
        path: `${r.path}/:${r.param}`,
        operationId: `delete${r.singular}`,
        summary: `Delete a ${r.name} and what it owns`,
        tag: r.tag,
        role: writeRole,
        conflicts: true,
        request: { params: Params },
        response: { status: 200, description: "The key of the deleted record", schema: Deleted },
        handler: async ({ params }) => {
          const key = keyOf(params);
          const gone = await row<{ key: string | number }>(
            db,
            `DELETE FROM ${ident(r.table)} WHERE ${ident(r.key)} = $1 RETURNING ${ident(r.key)} AS key`,
            [key],
          );
          if (gone === undefined) throw notFound(r.name, key);
          return { deleted: gone.key };
        },
      }),
    );
  }
  return routes;
}
