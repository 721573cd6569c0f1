// `wattline apikey create|list|revoke`: credentials managed from the machine, which is how the first admin key
// comes to exist. `create` prints the key alone on stdout (for `KEY=$(wattline apikey create …)`), the rest on stderr.
import { loadConfig } from "../../ground/config.ts";
import { createLogger } from "../../ground/logger.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { migrate } from "../../schemas/postgres/migrate.ts";
import { type ApiKey, createApiKey, listApiKeys, revokeApiKey } from "./keys.ts";
import type { Role } from "./roles.ts";

async function withPool<T>(work: (pool: ReturnType<typeof postgresPool>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  await migrate(config, createLogger("migrate", "warn"));
  const pool = postgresPool(config, 1);
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

/** `site`: the sites the key is limited to (`--site`, repeatable); absent: an unscoped key. */
export async function apikeyCreate(opts: { name: string; role: Role; site?: string[] }): Promise<void> {
  const created = await withPool((pool) => createApiKey(pool, opts.name, opts.role, opts.site));
  const scope = created.sites === null ? "all sites" : `sites ${created.sites.join(", ")}`;
  process.stderr.write(
    `created API key ${created.id} "${created.name}" (${created.role}, ${scope}, prefix ${created.prefix}); ` +
      "store the key now, it is not shown again:\n",
  );
  process.stdout.write(`${created.key}\n`);
}

const line = (k: ApiKey) =>
  [
    k.id,
    k.name,
    k.role,
    k.sites === null ? "*" : k.sites.join(",") || "-",
    k.prefix,
    k.created_at,
    k.last_used_at ?? "-",
    k.revoked_at ?? "-",
  ].join("\t");

export async function apikeyList(opts: { json?: boolean; active?: boolean }): Promise<void> {
  const keys = await withPool((pool) => listApiKeys(pool, { includeRevoked: !opts.active, limit: 100_000 }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    ["id\tname\trole\tsites\tprefix\tcreated_at\tlast_used_at\trevoked_at", ...keys.map(line)].join("\n"),
  );
  process.stdout.write("\n");
}

export async function apikeyRevoke(id: string): Promise<void> {
  if (!/^[1-9][0-9]{0,14}$/.test(id)) throw new Error(`not an API key id: ${id}`);
  const revoked = await withPool((pool) => revokeApiKey(pool, Number(id)));
  if (revoked === undefined) throw new Error(`no API key ${id}`);
  process.stdout.write(`revoked API key ${revoked.id} "${revoked.name}" at ${revoked.revoked_at}\n`);
}
