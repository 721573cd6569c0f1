// API keys end to end: hashed at rest, usable at once, revocable at once, by API and by CLI; rate limits per key;
// the docs and metrics routes behind their roles.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { config } from "../../support/stack.ts";
import { type Harness, harness } from "./support.ts";

const run = promisify(execFile);
const cli = (...args: string[]) =>
  run(process.execPath, ["bin/wattline.js", ...args], { cwd: process.cwd() });

let h: Harness;
before(async () => {
  h = await harness("auth");
});
after(() => h.close());

test("a key made by an admin is stored only as its SHA-256, works at once, and stops at revocation", async () => {
  const made = await h.call("POST", "/api/v1/api-keys", { body: { name: `${h.tag}-made`, role: "viewer" } });
  assert.equal(made.status, 201);
  const key = made.body.key as string;
  const id = made.body.id as number;
  assert.match(key, /^wl_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
  assert.equal(made.body.prefix, key.slice(0, 15));

  const stored = await h.pool.query<{ row: string; key_hash: string }>(
    "SELECT to_jsonb(k)::text AS row, key_hash FROM api_keys k WHERE id = $1",
    [id],
  );
  assert.equal(stored.rows[0]?.key_hash, createHash("sha256").update(key).digest("hex"));
  assert.ok(!stored.rows[0]?.row.includes(key.slice(16)), "the secret part is in the row");
  const anywhere = await h.pool.query("SELECT 1 FROM api_keys k WHERE strpos(to_jsonb(k)::text, $1) > 0", [
    key.slice(16),
  ]);
  assert.equal(anywhere.rowCount, 0);

  const listed = await h.call("GET", "/api/v1/api-keys?limit=500");
  const entry = (listed.body.items as Record<string, unknown>[]).find((k) => k.id === id);
  assert.ok(entry);
  assert.ok(!("key" in entry) && !("key_hash" in entry), "a list shows a secret");

  assert.equal((await h.call("GET", "/api/v1/sites", { key })).status, 200);
  assert.equal(
    (await h.call("GET", "/api/v1/sites", { key: key.replace(/.$/, (c) => (c === "A" ? "B" : "A")) })).status,
    401,
  );
  const used = await h.pool.query("SELECT last_used_at FROM api_keys WHERE id = $1", [id]);
  assert.ok(used.rows[0]?.last_used_at instanceof Date);

  const revoked = await h.call("POST", `/api/v1/api-keys/${id}/revoke`);
  assert.equal(revoked.status, 200);
  assert.ok(revoked.body.revoked_at);
  const denied = await h.call("GET", "/api/v1/sites", { key });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get("www-authenticate"), 'Bearer realm="wattline"');
  const again = await h.call("POST", `/api/v1/api-keys/${id}/revoke`);
  assert.equal(again.body.revoked_at, revoked.body.revoked_at);
  assert.equal((await h.call("POST", "/api/v1/api-keys/999999999999/revoke")).status, 404);
  assert.equal((await h.call("POST", "/api/v1/api-keys", { body: { name: "x", role: "root" } })).status, 400);
});

test("roles nest: viewer reads, operator writes, admin manages keys", async () => {
  const site = `${h.tag}-roles`;
  const body = { id: site, name: "Roles", timezone: "Europe/Berlin" };
  assert.equal((await h.call("GET", "/api/v1/sites", { role: "viewer" })).status, 200);
  assert.equal((await h.call("POST", "/api/v1/sites", { role: "viewer", body })).status, 403);
  assert.equal((await h.call("POST", "/api/v1/sites", { role: "operator", body })).status, 201);
  assert.equal((await h.call("GET", "/api/v1/api-keys", { role: "operator" })).status, 403);
  assert.equal(
    (await h.call("PATCH", `/api/v1/sites/${site}`, { role: "admin", body: { name: "R" } })).status,
    200,
  );
  const scheme = await h.app.request("/api/v1/sites", {
    headers: { Authorization: `bearer ${h.keys.viewer}` },
  });
  assert.equal(scheme.status, 200, "the scheme name is case-insensitive");
});

test("a key past its burst gets 429 with Retry-After; another key is unaffected", async () => {
  const app = h.makeApp({ rateLimit: { ratePerSecond: 0.5, burst: 3 } });
  const get = (key: string) => app.request("/api/v1/sites", { headers: { Authorization: `Bearer ${key}` } });
  for (let i = 0; i < 3; i++) assert.equal((await get(h.keys.viewer)).status, 200);
  const limited = await get(h.keys.viewer);
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  const body = (await limited.json()) as { error: { code: string; details: { retry_after_s: number } } };
  assert.equal(body.error.code, "rate_limited");
  assert.ok(body.error.details.retry_after_s >= 1);
  assert.equal((await get(h.keys.operator)).status, 200);
  // A refused role spends a token too: probing with a weak key is throttled like any other traffic.
  const metrics = await app.request("/metrics", { headers: { Authorization: `Bearer ${h.keys.viewer}` } });
  assert.equal(metrics.status, 429);
});

test("/metrics is admin-only; /docs and /openapi.json need a key and load nothing from elsewhere", async () => {
  const metrics = await h.app.request("/metrics", { headers: { Authorization: `Bearer ${h.keys.admin}` } });
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /wattline_api_requests_total\{/);
  assert.equal((await h.call("GET", "/metrics", { role: "operator" })).status, 403);
  assert.equal((await h.call("GET", "/metrics", { key: null })).status, 401);

  const docs = await h.app.request("/docs", { headers: { Authorization: `Bearer ${h.keys.viewer}` } });
  assert.equal(docs.status, 200);
  assert.match(docs.headers.get("content-type") ?? "", /text\/html/);
  const html = await docs.text();
  assert.match(html, /\/api\/v1\/sites\/\{site_id\}/);
  assert.doesNotMatch(html, /<script|src=|https?:\/\/(?!json-schema)/i);
  assert.equal((await h.call("GET", "/docs", { key: null })).status, 401);
});

test("CLI: apikey create prints the key once, list shows no secret, revoke stops it", async () => {
  const created = await cli("apikey", "create", "--name", `${h.tag}-cli`, "--role", "operator");
  const key = created.stdout.trim();
  assert.match(key, /^wl_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
  assert.match(created.stderr, /not shown again/);
  assert.equal(
    (await h.call("POST", "/api/v1/sites", { key, body: { id: `${h.tag}-cli`, name: "C", timezone: "UTC" } }))
      .status,
    201,
  );

  const listed = await cli("apikey", "list", "--json");
  assert.ok(!listed.stdout.includes(key.slice(16)));
  const entry = (JSON.parse(listed.stdout) as { id: number; name: string; role: string }[]).find(
    (k) => k.name === `${h.tag}-cli`,
  );
  assert.equal(entry?.role, "operator");
  const table = await cli("apikey", "list");
  assert.match(table.stdout, /^id\tname\trole/);

  await cli("apikey", "revoke", String(entry?.id));
  // Another process revoked it: an app that has not verified the key yet refuses it at once (h.app, which has,
  // may reuse its verification for up to WATTLINE_API_CACHE_TTL_MS; see the next test).
  assert.equal((await h.caller(h.makeApp())("GET", "/api/v1/sites", { key })).status, 401);
  await assert.rejects(cli("apikey", "create", "--name", "x", "--role", "root"));
  await assert.rejects(cli("apikey", "revoke", "' OR 1=1 --"), /not an API key id/);
});

test("verified keys are reused for the cache TTL, yet a revocation in this process counts at once", async () => {
  const withTtl = (cacheTtlMs: number) =>
    h.caller(h.makeApp({ config: { ...config, api: { ...config.api, cacheTtlMs } } }));
  const made = async () => {
    const created = await h.call("POST", "/api/v1/api-keys", {
      body: { name: `${h.tag}-cached`, role: "viewer" },
    });
    return { key: created.body.key as string, id: created.body.id as number };
  };
  // A TTL far longer than the test: only the revocation can explain a 401.
  const cached = withTtl(600_000);
  const first = await made();
  assert.equal((await cached("GET", "/api/v1/sites", { key: first.key })).status, 200);
  assert.equal((await h.call("POST", `/api/v1/api-keys/${first.id}/revoke`)).status, 200);
  assert.equal(
    (await cached("GET", "/api/v1/sites", { key: first.key })).status,
    401,
    "revoked through another app",
  );
  const second = await made();
  assert.equal((await cached("GET", "/api/v1/sites", { key: second.key })).status, 200);
  assert.equal(
    (await cached("POST", `/api/v1/api-keys/${second.id}/revoke`, { key: h.keys.admin })).status,
    200,
  );
  assert.equal(
    (await cached("GET", "/api/v1/sites", { key: second.key })).status,
    401,
    "revoked through this app",
  );

  // Revoked by another process (here: straight in the registry): honoured once the TTL has passed.
  const short = withTtl(2000);
  const third = await made();
  assert.equal((await short("GET", "/api/v1/sites", { key: third.key })).status, 200);
  await h.pool.query("UPDATE api_keys SET revoked_at = now() WHERE id = $1", [third.id]);
  assert.equal((await short("GET", "/api/v1/sites", { key: third.key })).status, 200, "within the TTL");
  await new Promise((resolve) => setTimeout(resolve, 2100));
  assert.equal((await short("GET", "/api/v1/sites", { key: third.key })).status, 401, "after the TTL");
});
