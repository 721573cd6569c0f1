import assert from "node:assert/strict";
import { test } from "node:test";
import { RateLimiter } from "../../../api/auth/rate-limit.ts";

test("rate limit: a burst passes, the next request waits for a token, and tokens come back at the rate", () => {
  let now = 0;
  const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3 }, () => now);
  assert.deepEqual(
    [1, 2, 3].map(() => limiter.take(1).allowed),
    [true, true, true],
  );
  assert.deepEqual(limiter.take(1), { allowed: false, retryAfterS: 1 });
  now += 499;
  assert.equal(limiter.take(1).allowed, false, "half a token short");
  now += 1;
  assert.deepEqual(limiter.take(1), { allowed: true, remaining: 0 });
  now += 60_000;
  assert.deepEqual(limiter.take(1), { allowed: true, remaining: 2 }, "never more than the burst");
});

test("rate limit: each key has its own bucket; a refused request costs nothing", () => {
  let now = 0;
  const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1 }, () => now);
  assert.equal(limiter.take(1).allowed, true);
  assert.equal(limiter.take(1).allowed, false);
  assert.equal(limiter.take(2).allowed, true);
  for (let i = 0; i < 5; i++) limiter.take(1);
  now += 1000;
  assert.equal(limiter.take(1).allowed, true, "refusals did not dig a deeper hole");
});

test("rate limit: Retry-After is whole seconds, at least 1, for slow rates the wait until one token", () => {
  let now = 0;
  const slow = new RateLimiter({ ratePerSecond: 0.1, burst: 1 }, () => now);
  slow.take(7);
  assert.deepEqual(slow.take(7), { allowed: false, retryAfterS: 10 });
  now += 2500;
  assert.deepEqual(slow.take(7), { allowed: false, retryAfterS: 8 });
});

test("rate limit: a rate of 0 disables it", () => {
  const off = new RateLimiter({ ratePerSecond: 0, burst: 1 });
  assert.equal(off.enabled, false);
  for (let i = 0; i < 100; i++) assert.equal(off.take(1).allowed, true);
});
