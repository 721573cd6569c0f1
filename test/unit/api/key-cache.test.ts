// The verified-key cache against a stand-in registry that counts its reads: reuse within the TTL, one read for
// concurrent requests, unknown keys kept apart for the TTL, and a revocation in this process honoured at once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cachedKeyVerifier } from "../../../api/auth/key-cache.ts";
import { generateKey, hashKey, revokeApiKey } from "../../../api/auth/keys.ts";
import type { Db } from "../../../api/db.ts";

const { key, prefix } = generateKey();
const stored = {
  id: 7,
  name: "k",
  role: "viewer",
  prefix,
  created_at: "",
  last_used_at: null,
  revoked_at: null,
};

/** A registry holding one key; `revoked` hides it as `revoked_at IS NULL` would. */
function registry() {
  const state = { reads: 0, revoked: false };
  const db = {
    query: async ({ text }: { text: string }) => {
      if (text.startsWith("UPDATE api_keys SET revoked_at")) {
        state.revoked = true;
        return { rows: [{ ...stored, revoked_at: "now" }] };
      }
      state.reads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { rows: state.revoked ? [] : [{ ...stored, key_hash: hashKey(key) }] };
    },
  } as unknown as Db;
  return { db, state };
}

test("key cache: a verified key is reused within the TTL, concurrent requests share one read", async () => {
  const { db, state } = registry();
  const verify = cachedKeyVerifier(db, 60_000);
  const found = await Promise.all(Array.from({ length: 5 }, () => verify(key)));
  assert.deepEqual(
    found.map((k) => k?.id),
    [7, 7, 7, 7, 7],
  );
  assert.equal((await verify(key))?.role, "viewer");
  assert.equal(state.reads, 1);
});

test("key cache: the entry expires after the TTL", async () => {
  const { db, state } = registry();
  const verify = cachedKeyVerifier(db, 20);
  await verify(key);
  await new Promise((resolve) => setTimeout(resolve, 40));
  await verify(key);
  assert.equal(state.reads, 2);
});

test("key cache: a revocation in this process is honoured at once, whatever the TTL", async () => {
  const { db, state } = registry();
  const verify = cachedKeyVerifier(db, 60_000);
  assert.equal((await verify(key))?.id, 7);
  await revokeApiKey(db, 7);
  assert.equal(await verify(key), undefined);
  assert.equal(state.reads, 2);
});

test("key cache: an unknown key costs one read per TTL; a malformed one none; TTL 0 reads every time", async () => {
  const { db, state } = registry();
  const verify = cachedKeyVerifier(db, 30);
  const other = generateKey().key;
  for (let i = 0; i < 50; i++) assert.equal(await verify(other), undefined);
  assert.equal(await verify("not a key"), undefined);
  assert.equal(state.reads, 1, "one read for 50 requests with an unknown key, none for a malformed one");
  await new Promise((resolve) => setTimeout(resolve, 40));
  await verify(other);
  assert.equal(state.reads, 2, "asked again after the TTL");
  assert.equal((await verify(key))?.id, 7, "a live key is not refused for an unknown one's sake");
  const uncached = registry();
  const always = cachedKeyVerifier(uncached.db, 0);
  await always(key);
  await always(key);
  assert.equal(uncached.state.reads, 2);
});
