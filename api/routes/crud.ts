// List, get, create, update and delete routes of one registry table, made from a description of the table. SQL
// identifiers come from the description (code), values from validated input as parameters: nothing a client sends
// is ever spliced into SQL text. A key scoped to sites (auth/scope.ts) reads and writes only rows of its sites: lists
// are filtered in SQL, a row outside the scope is a 404, and a write that would leave a row outside it (a body naming
// another site's system, say) is a 404 as if that record did not exist, rolled back.
import type pg from "pg";
import { z } from "zod";
import { inTransaction } from "../../pipelines/registry/transaction.ts";
import type { Role } from "../auth/roles.ts";
import {
  inScope,
  outOfScopeReference,
  refuseScoped,
  type SiteScope,
  scopeCondition,
  siteScope,
} from "../auth/scope.ts";
import { type Db, ident, row, rows, setClause } from "../db.ts";
import { ApiError, fromPostgres, notFound } from "../errors.ts";
import { type AnyRoute, defineRoute } from "../openapi/route.ts";
import { Deleted, decodeCursor, PageQuery, page, toPage } from "../schemas.ts";

type Values = Record<string, unknown>;

/** Resource.site of a table with a system_id: the system's site. */
export const SYSTEM_SITE = "(SELECT y.site_id FROM systems y WHERE y.id = t.system_id)";

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
  /** SQL (over alias t) of the site a row belongs to, NULL for none: a scoped key sees a row only of its sites. */
  site: string;
  /** SQL condition (over t) of rows that every key may read though they belong to no site (global cost versions). */
  shared?: string;
  /** Only unscoped keys create these (a new site is outside every scope): 403 for a scoped key. */
  createUnscoped?: boolean;
}

const pick = (body: Values, columns: readonly string[]): Values =>
  Object.fromEntries(columns.filter((c) => body[c] !== undefined).map((c) => [c, body[c]]));

/** The condition a key's scope puts on the rows it reads (shared rows included); undefined when unscoped. */
function readable(r: Resource, scope: SiteScope, values: unknown[]): string | undefined {
  const own = scopeCondition(r.site, scope, values);
  return own !== undefined && r.shared !== undefined ? `(${r.shared} OR ${own})` : own;
}

/** One record by key in the resource's response shape, or a 404 (also when it is outside `scope`). */
export function getter<T extends pg.QueryResultRow = Values>(db: Db, r: Resource) {
  return async (key: string | number, scope?: SiteScope): Promise<T> => {
    const values: unknown[] = [key];
    const visible = readable(r, scope, values);
    const found = await row<T>(
      db,
      `${r.select} WHERE t.${ident(r.key)} = $1${visible ? ` AND ${visible}` : ""}`,
      values,
    );
    if (found === undefined) throw notFound(r.name, key);
    return found;
  };
}

/** The site of one row as it is now (in the caller's transaction); undefined when there is no such row. */
async function siteOf(client: Db, r: Resource, key: string | number, lock = false) {
  return row<{ site: string | null }>(
    client,
    `SELECT ${r.site} AS site FROM ${ident(r.table)} t WHERE t.${ident(r.key)} = $1${lock ? " FOR UPDATE" : ""}`,
    [key],
  );
}

/** After a scoped key's write: the row must be of its sites, else the write names what the key cannot see. */
async function checkWritten(client: Db, r: Resource, key: string | number, scope: SiteScope) {
  if (scope === undefined) return;
  const written = await siteOf(client, r, key);
  if (written?.site === null)
    throw new ApiError(403, "forbidden", `a key scoped to sites cannot write a ${r.name} of no site`, {
      scoped: true,
    });
  if (!inScope(scope, written?.site)) throw outOfScopeReference();
}

/** A scoped key naming a record that does not exist gets the 404 it gets for one outside its scope. */
function asScoped(err: unknown, scope: SiteScope): unknown {
  return scope !== undefined && fromPostgres(err)?.code === "invalid_reference" ? outOfScopeReference() : err;
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
      handler: async ({ query }, c) => {
        const q = query as Values & { limit: number; cursor?: string };
        const values: unknown[] = [];
        const visible = readable(r, siteScope(c), values);
        const where: string[] = visible ? [visible] : [];
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
      handler: async ({ params }, c) => getOne(keyOf(params), siteScope(c)),
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
        handler: async ({ body }, c) => {
          if (r.createUnscoped) refuseScoped(c, `create a ${r.name}`);
          const scope = siteScope(c);
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
            await checkWritten(client, r, inserted.key, scope);
            return inserted.key;
          }).catch((err) => {
            throw asScoped(err, scope);
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
        handler: async ({ params, body }, c) => {
          const key = keyOf(params);
          const scope = siteScope(c);
          await inTransaction(db, async (client) => {
            if (scope !== undefined && !inScope(scope, (await siteOf(client, r, key, true))?.site))
              throw notFound(r.name, key);
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
            await checkWritten(client, r, key, scope);
          }).catch((err) => {
            throw asScoped(err, scope);
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
        handler: async ({ params }, c) => {
          const key = keyOf(params);
          const values: unknown[] = [key];
          const own = scopeCondition(r.site, siteScope(c), values);
          const gone = await row<{ key: string | number }>(
            db,
            `DELETE FROM ${ident(r.table)} t WHERE t.${ident(r.key)} = $1${own ? ` AND ${own}` : ""}
             RETURNING t.${ident(r.key)} AS key`,
            values,
          );
          if (gone === undefined) throw notFound(r.name, key);
          return { deleted: gone.key };
        },
      }),
    );
  }
  return routes;
}
