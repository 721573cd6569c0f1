// Authentication (the API key where credential.ts finds it → 401), rate limiting per key (429) and authorisation per
// route (403), in that order: a refused role still spends a token, so probing with a weak key is throttled too.
import type { Context, MiddlewareHandler } from "hono";
import type { Db } from "../db.ts";
import { ApiError } from "../errors.ts";
import { presentedKey } from "./credential.ts";
import { cachedKeyVerifier } from "./key-cache.ts";
import { type ApiKey, touchApiKey } from "./keys.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { hasRole, type Role } from "./roles.ts";

declare module "hono" {
  interface ContextVariableMap {
    apiKey: ApiKey;
  }
}

// last_used_at is for people ("is this key still in use?"): a minute's precision spares a write per request.
const TOUCH_INTERVAL_MS = 60_000;

function unauthorized(c: Context, message: string): ApiError {
  c.header("WWW-Authenticate", 'Bearer realm="wattline"');
  return new ApiError(401, "unauthorized", message);
}

/** `keyCacheTtlMs`: how long a verified key is reused (key-cache.ts); 0 reads the registry on every request. */
export function authenticate(
  db: Db,
  isPublic: (c: Context) => boolean,
  keyCacheTtlMs: number,
): MiddlewareHandler {
  const verify = cachedKeyVerifier(db, keyCacheTtlMs);
  const touched = new Map<number, number>();
  return async (c, next) => {
    if (isPublic(c)) return next();
    const presented = presentedKey(c);
    if ("problem" in presented) throw unauthorized(c, presented.problem);
    const key = await verify(presented.token);
    if (key === undefined) throw unauthorized(c, "the API key is unknown or revoked");
    c.set("apiKey", key);
    const now = Date.now();
    if (now - (touched.get(key.id) ?? 0) >= TOUCH_INTERVAL_MS) {
      touched.set(key.id, now);
      await touchApiKey(db, key.id);
    }
    return next();
  };
}

export function rateLimit(limiter: RateLimiter): MiddlewareHandler {
  return async (c, next) => {
    const key = c.get("apiKey") as ApiKey | undefined;
    if (key === undefined || !limiter.enabled) return next();
    const decision = limiter.take(key.id);
    if (!decision.allowed) {
      c.header("Retry-After", String(decision.retryAfterS));
      throw new ApiError(429, "rate_limited", `too many requests; retry in ${decision.retryAfterS} s`, {
        retry_after_s: decision.retryAfterS,
      });
    }
    c.header("RateLimit-Remaining", String(decision.remaining));
    return next();
  };
}

export function requireRole(role: Role): MiddlewareHandler {
  return async (c, next) => {
    const key = c.get("apiKey");
    if (!hasRole(key.role, role)) {
      throw new ApiError(403, "forbidden", `this needs the ${role} role; the key has ${key.role}`, {
        required_role: role,
        key_role: key.role,
      });
    }
    return next();
  };
}
