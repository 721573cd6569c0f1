// Authentication (the API key where credential.ts finds it → 401), rate limiting per key (429) and authorisation per
// route (403), in that order: a refused role still spends a token, so probing with a weak key is throttled too.
// Requests without a valid key (public paths, missing, malformed or unknown keys) spend tokens of their client
// address instead: an address that has spent them gets 429 before its key costs a registry read.
import type { Context, MiddlewareHandler } from "hono";
import type { Db } from "../db.ts";
import { ApiError } from "../errors.ts";
import { clientAddress } from "./client-address.ts";
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

function tooManyRequests(c: Context, retryAfterS: number): ApiError {
  c.header("Retry-After", String(retryAfterS));
  return new ApiError(429, "rate_limited", `too many requests; retry in ${retryAfterS} s`, {
    retry_after_s: retryAfterS,
  });
}

/** Spends a token of the request's address: the error to throw when there was none, else undefined. */
function chargeAddress(c: Context, limiter: RateLimiter<string>): ApiError | undefined {
  const decision = limiter.take(clientAddress(c));
  return decision.allowed ? undefined : tooManyRequests(c, decision.retryAfterS);
}

/** For public routes: each request spends a token of its address. */
export function limitByAddress(limiter: RateLimiter<string>): MiddlewareHandler {
  return async (c, next) => {
    const refused = chargeAddress(c, limiter);
    if (refused) throw refused;
    return next();
  };
}

/**
 * `keyCacheTtlMs`: how long a verified key is reused (key-cache.ts); 0 reads the registry on every request.
 * `byAddress`: the budget of requests without a valid key.
 */
export function authenticate(
  db: Db,
  isPublic: (c: Context) => boolean,
  keyCacheTtlMs: number,
  byAddress: RateLimiter<string>,
): MiddlewareHandler {
  const verify = cachedKeyVerifier(db, keyCacheTtlMs);
  const touched = new Map<number, number>();
  const refuse = (c: Context, message: string) => chargeAddress(c, byAddress) ?? unauthorized(c, message);
  return async (c, next) => {
    if (isPublic(c)) return next();
    const presented = presentedKey(c);
    if ("problem" in presented) throw refuse(c, presented.problem);
    if (byAddress.spent(clientAddress(c))) throw chargeAddress(c, byAddress);
    const key = await verify(presented.token);
    if (key === undefined) throw refuse(c, "the API key is unknown or revoked");
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
    if (!decision.allowed) throw tooManyRequests(c, decision.retryAfterS);
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
