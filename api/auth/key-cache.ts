// Verified API keys, kept for a short TTL under the SHA-256 of the presented key, so that a busy client costs no
// registry read per request. A revocation made by this process drops every kept key at once (keys.ts counts them);
// one made elsewhere (the CLI, another instance) counts within the TTL. Unknown, malformed and revoked keys are never
// kept: a new key works at once, and made-up tokens cannot fill the cache.
import { LRUCache } from "lru-cache";
import type { Db } from "../db.ts";
import { type ApiKey, hashKey, revocations, verifyApiKey } from "./keys.ts";

export type KeyVerifier = (presented: string) => Promise<ApiKey | undefined>;

interface Verified {
  key: ApiKey;
  /** revocations() before the key was read: a later revocation in this process makes the entry stale. */
  seen: number;
}

// Bounds memory whatever the number of keys in use; only live keys get in.
const MAX_KEYS = 10_000;

/** verifyApiKey, remembered for `ttlMs` (0: not at all). Concurrent requests with one key share one read. */
export function cachedKeyVerifier(db: Db, ttlMs: number): KeyVerifier {
  if (ttlMs <= 0) return (presented) => verifyApiKey(db, presented);
  const cache = new LRUCache<string, Verified, string>({
    max: MAX_KEYS,
    ttl: ttlMs,
    fetchMethod: async (_hash, _stale, { context }) => {
      const seen = revocations();
      const key = await verifyApiKey(db, context);
      return key && { key, seen };
    },
  });
  return async (presented) => {
    const hash = hashKey(presented);
    const kept = await cache.fetch(hash, { context: presented });
    if (kept === undefined || kept.seen === revocations()) return kept?.key;
    return (await cache.fetch(hash, { context: presented, forceRefresh: true }))?.key;
  };
}
