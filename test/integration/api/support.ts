// What the API's integration tests share: an app on the migrated registry with one key per role, a request helper,
// and removal of what a test made (its keys, its sites and everything under them).
import type { Hono } from "hono";
import type pg from "pg";
import { createApp } from "../../../api/app.ts";
import { createApiKey } from "../../../api/auth/keys.ts";
import type { Role } from "../../../api/auth/roles.ts";
import type { ApiDependencies } from "../../../api/deps.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { createLogger } from "../../../ground/logger.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import { config, unique } from "../../support/stack.ts";

export interface Harness {
  app: Hono;
  pool: pg.Pool;
  questdb: pg.Pool;
  keys: Record<Role, string>;
  keyIds: number[];
  /** A prefix for ids this run creates. */
  tag: string;
  call: Call;
  /** `call` for another app (e.g. one made with makeApp). */
  caller: (app: Hono) => Call;
  makeApp: (extra?: Partial<ApiDependencies>) => Hono;
  close: () => Promise<void>;
}

export type Call = (
  method: string,
  path: string,
  opts?: { key?: string | null; role?: Role; body?: unknown; headers?: Record<string, string> },
) => Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;

export async function harness(name: string): Promise<Harness> {
  await migrate(config, createLogger("migrate", "warn"));
  const pool = postgresPool(config, 4);
  const questdb = questdbPool(config, 1);
  const tag = unique(name).replace(/_/g, "-");
  const keyIds: number[] = [];
  const keys = {} as Record<Role, string>;
  for (const role of ["viewer", "operator", "admin"] as const) {
    const created = await createApiKey(pool, `${tag}-${role}`, role);
    keys[role] = created.key;
    keyIds.push(created.id);
  }
  // Generous limits: these apps are for everything but the rate-limit test, which makes its own.
  const makeApp = (extra: Partial<ApiDependencies> = {}) =>
    createApp({
      kafka: createKafka(config),
      questdb,
      postgres: pool,
      mqttConnected: () => true,
      logger: createLogger("api", "silent"),
      rateLimit: { ratePerSecond: 10_000, burst: 10_000 },
      anonymousRateLimit: { ratePerSecond: 10_000, burst: 10_000 },
      ...extra,
    });
  const app = makeApp();
  const caller =
    (app: Hono): Call =>
    async (method, path, opts = {}) => {
      const key = opts.key === undefined ? keys[opts.role ?? "admin"] : opts.key;
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (key !== null) headers.Authorization = `Bearer ${key}`;
      if (opts.body !== undefined) headers["Content-Type"] = "application/json";
      const res = await app.request(path, {
        method,
        headers,
        ...(opts.body === undefined
          ? {}
          : { body: typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body) }),
      });
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        body = { text };
      }
      return { status: res.status, body, headers: res.headers };
    };
  const call = caller(app);
  const close = async () => {
    await pool.query("DELETE FROM sites WHERE id LIKE $1", [`${tag}%`]);
    await pool.query("DELETE FROM review_tickets WHERE dedupe_key LIKE $1", [`${tag}%`]);
    await pool.query("DELETE FROM device_status WHERE device_id LIKE $1", [`${tag}%`]);
    await pool.query("DELETE FROM charging_stations WHERE external_id LIKE $1", [`${tag}%`]);
    await pool.query("DELETE FROM api_keys WHERE id = ANY($1) OR name LIKE $2", [keyIds, `${tag}%`]);
    await Promise.all([pool.end(), questdb.end()]);
  };
  return { app, pool, questdb, keys, keyIds, tag, call, caller, makeApp, close };
}

/** The registry's tables are all still there (nothing an injection attempt sent was executed). */
export async function tablesIntact(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ missing: number }>(
    `SELECT count(*)::int AS missing FROM unnest($1::text[]) AS t(name) WHERE to_regclass(t.name) IS NULL`,
    [["sites", "devices", "systems", "inverters", "api_keys", "cost_versions", "review_tickets", "meters"]],
  );
  return rows[0]?.missing === 0;
}

export const INJECTIONS = [
  "' OR 1=1 --",
  '"; DROP TABLE sites; --',
  "1; DROP TABLE sites",
  "1 OR 1=1",
  "%27%20OR%201%3D1",
  "../../etc/passwd",
  "$1",
];
