import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { backoffDelay, parseRetryAfter } from "../../../connectors/hopecloud/client/backoff.ts";
import { HopeCloudError } from "../../../connectors/hopecloud/client/errors.ts";
import { fetchAllPages } from "../../../connectors/hopecloud/client/paginate.ts";
import { RateLimiter } from "../../../connectors/hopecloud/client/rate-limiter.ts";
import { TokenSource } from "../../../connectors/hopecloud/client/token-source.ts";

test("backoff grows exponentially up to its cap, jittered within the upper half", () => {
  const o = { baseMs: 100, maxMs: 1000 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, o, () => 0)),
    [50, 100, 200, 400, 500, 500],
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, o, () => 0.999_999)).map(Math.round),
    [100, 200, 400, 800, 1000, 1000],
  );
});

test("Retry-After: seconds or an HTTP date; absent or garbage is undefined", () => {
  const now = Date.UTC(2025, 5, 19, 12, 0, 0);
  assert.equal(parseRetryAfter("3", now), 3000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Thu, 19 Jun 2025 12:00:05 GMT", now), 5000);
  assert.equal(parseRetryAfter("Thu, 19 Jun 2025 11:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter(null, now), undefined);
  assert.equal(parseRetryAfter("soon", now), undefined);
});

test("errors are retryable for timeouts, network failures, 429 and 5xx only", () => {
  const retryable = (kind: ConstructorParameters<typeof HopeCloudError>[0], status?: number) =>
    new HopeCloudError(kind, "x", status).retryable;
  assert.deepEqual(
    [
      retryable("timeout"),
      retryable("network"),
      retryable("rate_limited", 429),
      retryable("http", 500),
      retryable("http", 503),
      retryable("http", 404),
      retryable("auth", 401),
      retryable("api"),
      retryable("invalid_response"),
      retryable("aborted"),
    ],
    [true, true, true, true, true, false, false, false, false, false],
  );
});

test("the rate limiter spaces requests after the burst, and holds them all when told to", async () => {
  let now = 0;
  const limiter = new RateLimiter(10, 2, () => now);
  const started = performance.now();
  await limiter.take();
  await limiter.take();
  assert.ok(performance.now() - started < 50, "a burst of 2 goes at once");
  await limiter.take();
  assert.ok(performance.now() - started >= 95, "the third waits a tenth of a second");
  now = 1000;
  limiter.holdFor(150);
  const held = performance.now();
  await limiter.take();
  assert.ok(performance.now() - held >= 145, "held for 150 ms");
});

test("the token source shares one request, renews before expiry and forgets a refused token", async () => {
  let now = 0;
  let issued = 0;
  const tokens = new TokenSource(
    async () => ({ accessToken: `t${++issued}`, expiresIn: 100 }),
    () => now,
  );
  assert.deepEqual(await Promise.all([tokens.get(), tokens.get(), tokens.get()]), ["t1", "t1", "t1"]);
  now = 89_000;
  assert.equal(await tokens.get(), "t1");
  now = 90_000; // a tenth of the lifetime before expiry
  assert.equal(await tokens.get(), "t2");
  tokens.invalidate("t1");
  assert.equal(await tokens.get(), "t2", "a stale token's refusal does not drop the new one");
  tokens.invalidate("t2");
  assert.equal(await tokens.get(), "t3");
});

test("pagination reads until total, drops repeats, keeps invalid records apart", async () => {
  const schema = z.object({ id: z.string() });
  const all = Array.from({ length: 12 }, (_, i) => ({ id: String(i) }));
  const pages: number[] = [];
  const listing = await fetchAllPages(
    async (pageIndex) => {
      pages.push(pageIndex);
      // Page 2 repeats the last record of page 1, as when the list shifted between requests.
      const start = pageIndex === 1 ? 0 : (pageIndex - 1) * 5 - 1;
      const records: unknown[] = all.slice(start, start + 5);
      if (pageIndex === 1) records.push({ id: 7 });
      return { total: 13, records };
    },
    5,
    schema,
    (r) => r.id,
  );
  assert.deepEqual(pages, [1, 2, 3]);
  assert.deepEqual(
    listing.records.map((r) => r.id),
    all.map((r) => r.id),
  );
  assert.equal(listing.invalid.length, 1);
  assert.equal(listing.invalid[0]?.id, "7");
  assert.match(listing.invalid[0]?.problems ?? "", /^id: /);
});

test("pagination stops at an empty or short page even when total promises more", async () => {
  const schema = z.object({ id: z.string() });
  let calls = 0;
  const listing = await fetchAllPages(
    async () => {
      calls++;
      return { total: 100, records: calls === 1 ? [{ id: "a" }, { id: "b" }] : [] };
    },
    2,
    schema,
    (r) => r.id,
  );
  assert.equal(calls, 2);
  assert.equal(listing.records.length, 2);
});
