// Verified API keys, kept for a short TTL under the SHA-256 of the presented key, so that a busy client costs no
// registry read per request. A revocation made by this process drops every kept key at once (keys.ts counts them);
// one made elsewhere (the CLI, another instance) counts within the TTL. Unknown and revoked keys are kept apart, also
// for the TTL, in a cache of their own: a flood of one made-up token costs one registry read per TTL, and made-up
// tokens can only push each other out, never a live key. A key created after it was presented unknown works once
// that TTL has passed.
import { LRUCache } from "lru-cache";
import type { Db } from "../db.ts";
import { type ApiKey, hashKey, revocations, verifyApiKey } from "./keys.ts";

export type KeyVerifier = (presented: string) => Promise<ApiKey | undefined>;

interface Verified {
  key: ApiKey;
  /** revocations() before the key was read: a later revocation in this process makes the entry stale. */
  seen: number;
}

// Bound memory whatever the number of keys in use or made up.
const MAX_KEYS = 10_000;
const MAX_UNKNOWN = 10_000;

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
  const unknown = new LRUCache<string, true>({ max: MAX_UNKNOWN, ttl: ttlMs });
  return async (presented) => {
    const hash = hashKey(presented);
    if (unknown.has(hash)) return undefined;
    const kept = await cache.fetch(hash, { context: presented });
    if (kept === undefined) unknown.set(hash, true);
    if (kept === undefined || kept.seen === revocations()) return kept?.key;
    return (await cache.fetch(hash, { context: presented, forceRefresh: true }))?.key;
  };
}
