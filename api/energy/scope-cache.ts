// Energy groups (a node's zone and device ids) kept for a short TTL: a site of 1,000 devices is a 1,000-row registry
// read that every dashboard refresh would repeat. A registry change (a device added to a site, an inverter moved)
// reaches the energy routes within the TTL. Unknown nodes are not kept: their 404 is read each time.
import { LRUCache } from "lru-cache";
import type { Db } from "../db.ts";
import { type EnergyGroup, resolveScope, type Scope } from "./scope.ts";

export type ScopeResolver = (scope: Scope, id: string) => Promise<EnergyGroup>;

// Nodes, not device ids; a site's entry holds all its ids, so this bounds memory by the registry's largest groups.
const MAX_GROUPS = 1000;

/** resolveScope, remembered for `ttlMs` (0: not at all). Concurrent requests for one node share one read. */
export function cachedScopeResolver(db: Db, ttlMs: number): ScopeResolver {
  if (ttlMs <= 0) return (scope, id) => resolveScope(db, scope, id);
  const cache = new LRUCache<string, EnergyGroup, { scope: Scope; id: string }>({
    max: MAX_GROUPS,
    ttl: ttlMs,
    fetchMethod: (_key, _stale, { context }) => resolveScope(db, context.scope, context.id),
  });
  return (scope, id) => cache.forceFetch(`${scope}\n${id}`, { context: { scope, id } });
}
