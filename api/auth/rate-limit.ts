// A token bucket per credential (an authenticated key id) or per client address (requests without a valid key), in
// memory. Hand-rolled: no rate-limit middleware is among the dependencies (hono-rate-limiter would be the maintained
// one); the bucket is a dozen lines and serves both keyings. Each API process keeps its own buckets, so N instances
// behind a balancer allow up to N times the rate.
import { LRUCache } from "lru-cache";

export interface RateLimitOptions {
  /** Tokens added per second: the sustained request rate. 0 disables the limit. */
  ratePerSecond: number;
  /** Bucket size: how many requests may arrive at once after a quiet spell. */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { ratePerSecond: 20, burst: 60 };

/** Per client address, for requests without a valid key (/health, missing, malformed or unknown keys). */
export const DEFAULT_ANONYMOUS_RATE_LIMIT: RateLimitOptions = { ratePerSecond: 5, burst: 20 };

// Addresses are not bounded the way key ids are: the least recently seen bucket goes first (it would be full again
// soon anyway), so a flood from many addresses costs bounded memory.
const MAX_BUCKETS = 100_000;

export type Decision = { allowed: true; remaining: number } | { allowed: false; retryAfterS: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter<K extends number | string = number> {
  private readonly buckets = new LRUCache<K, Bucket>({ max: MAX_BUCKETS });

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.options.ratePerSecond > 0;
  }

  /** True when `key` has no token left: a caller may refuse before doing any work for the request. */
  spent(key: K): boolean {
    const bucket = this.buckets.get(key);
    if (!this.enabled || bucket === undefined) return false;
    const { ratePerSecond, burst } = this.options;
    return Math.min(burst, bucket.tokens + ((this.now() - bucket.at) / 1000) * ratePerSecond) < 1;
  }

  take(key: K): Decision {
    const { ratePerSecond, burst } = this.options;
    if (!this.enabled) return { allowed: true, remaining: burst };
    const now = this.now();
    const previous = this.buckets.get(key) ?? { tokens: burst, at: now };
    const tokens = Math.min(burst, previous.tokens + ((now - previous.at) / 1000) * ratePerSecond);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) / ratePerSecond)) };
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return { allowed: true, remaining: Math.floor(tokens - 1) };
  }
}
