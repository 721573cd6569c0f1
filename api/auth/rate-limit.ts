// A token bucket per credential, in memory. Hand-rolled: no rate-limit middleware is among the dependencies
// (hono-rate-limiter would be the maintained one) and adding one is not this module's call; the bucket is a
// dozen lines and is keyed by the authenticated key id, which a generic IP-keyed middleware does not give for free.
// Each API process keeps its own buckets, so N instances behind a balancer allow up to N times the rate.

export interface RateLimitOptions {
  /** Tokens added per second: the sustained request rate. 0 disables the limit. */
  ratePerSecond: number;
  /** Bucket size: how many requests may arrive at once after a quiet spell. */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { ratePerSecond: 20, burst: 60 };

export type Decision = { allowed: true; remaining: number } | { allowed: false; retryAfterS: number };

interface Bucket {
  tokens: number;
  at: number;
}

// Keyed only by authenticated key ids, so the map never outgrows the set of credentials.
export class RateLimiter {
  private readonly buckets = new Map<number, Bucket>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.options.ratePerSecond > 0;
  }

  take(key: number): Decision {
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
