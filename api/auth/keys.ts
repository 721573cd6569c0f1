// API keys: `wl_<12 base62>_<43 base64url>`. The first 15 characters (the prefix) are public and find the row; the
// whole key's SHA-256 is what is stored and compared. 256 random bits make a salt or a slow hash unnecessary:
// nothing about the key can be guessed, so only its hash is worth protecting, and SHA-256 does.
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type pg from "pg";
import { inTransaction } from "../../pipelines/registry/transaction.ts";
import { type Db, row, rows } from "../db.ts";
import type { Role } from "./roles.ts";

const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const KEY_PATTERN = /^wl_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = 15;

export interface ApiKey {
  id: number;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** The sites the key is limited to (sorted); null: unscoped (auth/scope.ts). */
  sites: string[] | null;
}

const COLUMNS = `id, name, role, prefix, created_at, last_used_at, revoked_at,
  CASE WHEN site_scoped THEN array(SELECT s.site_id::text FROM api_key_sites s WHERE s.api_key_id = api_keys.id
                                   ORDER BY s.site_id) END AS sites`;

/** Keys scoped to a subset of `within` (never an unscoped key): what a scoped admin may list and revoke. */
const WITHIN = (param: number) => `(site_scoped AND NOT EXISTS (SELECT 1 FROM api_key_sites s
  WHERE s.api_key_id = api_keys.id AND NOT s.site_id = ANY($${param}::text[])))`;

/** A site named for a key's scope does not exist. */
export class UnknownSitesError extends Error {
  constructor(readonly sites: string[]) {
    super(`no such site: ${sites.join(", ")}`);
  }
}

export const hashKey = (key: string): string => createHash("sha256").update(key).digest("hex");

export function generateKey(): { key: string; prefix: string } {
  const prefix = `wl_${Array.from({ length: 12 }, () => BASE62[randomInt(BASE62.length)]).join("")}`;
  return { key: `${prefix}_${randomBytes(32).toString("base64url")}`, prefix };
}

/**
 * Creates a key, limited to `sites` when given (UnknownSitesError when one does not exist); the plaintext is in the
 * result and nowhere else, ever.
 */
export async function createApiKey(
  pool: pg.Pool,
  name: string,
  role: Role,
  sites?: readonly string[],
): Promise<ApiKey & { key: string }> {
  const { key, prefix } = generateKey();
  const created = await inTransaction(pool, async (client) => {
    const unknown = await rows<{ id: string }>(
      client,
      "SELECT x AS id FROM unnest($1::text[]) AS x WHERE NOT EXISTS (SELECT 1 FROM sites WHERE id = x) ORDER BY x",
      [sites ?? []],
    );
    if (unknown.length > 0) throw new UnknownSitesError(unknown.map((u) => u.id));
    const inserted = await row<{ id: number }>(
      client,
      "INSERT INTO api_keys (name, role, prefix, key_hash, site_scoped) VALUES ($1, $2, $3, $4, $5) RETURNING id",
      [name, role, prefix, hashKey(key), sites !== undefined],
    );
    if (inserted === undefined) throw new Error("insert into api_keys returned no row");
    await client.query(
      "INSERT INTO api_key_sites (api_key_id, site_id) SELECT $1, x FROM unnest($2::text[]) AS x ON CONFLICT DO NOTHING",
      [inserted.id, sites ?? []],
    );
    return row<ApiKey>(client, `SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [inserted.id]);
  });
  if (created === undefined) throw new Error("a created API key was not found");
  return { ...created, key };
}

/** `within`: only keys scoped to a subset of these sites (a scoped admin's view); absent: every key. */
export async function listApiKeys(
  db: Db,
  {
    includeRevoked = true,
    afterId = 0,
    limit = 1000,
    within,
  }: { includeRevoked?: boolean; afterId?: number; limit?: number; within?: readonly string[] } = {},
): Promise<ApiKey[]> {
  return rows<ApiKey>(
    db,
    `SELECT ${COLUMNS} FROM api_keys WHERE id > $1 AND ($2 OR revoked_at IS NULL)
     AND ($4::text[] IS NULL OR ${WITHIN(4)}) ORDER BY id LIMIT $3`,
    [afterId, includeRevoked, limit, within ?? null],
  );
}

let revocationCount = 0;

/** Revocations made by this process so far: caches of verified keys (key-cache.ts) drop what they read before one. */
export const revocations = (): number => revocationCount;

/**
 * Revokes a key (kept, with revoked_at); revoking twice keeps the first time. Undefined when there is no such key, or
 * none scoped within `within` when given.
 */
export async function revokeApiKey(
  db: Db,
  id: number,
  within?: readonly string[],
): Promise<ApiKey | undefined> {
  const revoked = await row<ApiKey>(
    db,
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
     WHERE id = $1 AND ($2::text[] IS NULL OR ${WITHIN(2)}) RETURNING ${COLUMNS}`,
    [id, within ?? null],
  );
  if (revoked !== undefined) revocationCount++;
  return revoked;
}

/** The live key a bearer token stands for, or undefined for anything malformed, unknown or revoked. */
export async function verifyApiKey(db: Db, presented: string): Promise<ApiKey | undefined> {
  if (!KEY_PATTERN.test(presented)) return undefined;
  const found = await row<ApiKey & { key_hash: string }>(
    db,
    `SELECT ${COLUMNS}, key_hash FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL`,
    [presented.slice(0, PREFIX_LENGTH)],
  );
  if (found === undefined) return undefined;
  const { key_hash, ...key } = found;
  const matches = timingSafeEqual(Buffer.from(hashKey(presented), "hex"), Buffer.from(key_hash, "hex"));
  return matches ? key : undefined;
}

/** Marks a key used; the caller throttles this so that a busy key costs no write per request. */
export async function touchApiKey(db: Db, id: number): Promise<void> {
  await db.query("UPDATE api_keys SET last_used_at = now() WHERE id = $1", [id]);
}
