// One HTTP call to HopeCloud, made dependable: the client-side rate limit, a timeout per attempt, retries with
// backoff on timeouts, network errors and 5xx, the server's Retry-After on 429, one re-authentication on 401,
// and the response envelope checked. Returns the envelope's `data`, not yet validated.
import { setTimeout as sleep } from "node:timers/promises";
import { envelope } from "../api/shapes.ts";
import { type BackoffOptions, backoffDelay, parseRetryAfter } from "./backoff.ts";
import { HopeCloudError, type HopeCloudErrorKind } from "./errors.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import type { TokenSource } from "./token-source.ts";

export interface RetryEvent {
  request: string;
  retry: number;
  delayMs: number;
  reason: string;
}

export interface TransportOptions {
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  backoff: BackoffOptions;
  /** A longer Retry-After fails the call rather than stalling it. */
  maxRetryAfterMs: number;
  limiter: RateLimiter;
  random: () => number;
  fetch: typeof fetch;
  /** Aborts every call (the client closed). */
  signal: AbortSignal;
  onRetry?: (event: RetryEvent) => void;
}

export interface Call {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
  /** Omitted only for the token request itself. */
  auth?: TokenSource;
}

type Attempt = { data: unknown } | { error: HopeCloudError; retryAfterMs?: number };

export async function send(o: TransportOptions, call: Call): Promise<unknown> {
  const label = `${call.method} ${call.path}`;
  let retries = 0;
  let reauthenticated = false;
  for (;;) {
    await o.limiter.take(o.signal).catch(() => {
      throw new HopeCloudError("aborted", `${label}: aborted`);
    });
    const token = call.auth ? await call.auth.get() : undefined;
    const attempt = await attemptOnce(o, call, label, token);
    if ("data" in attempt) return attempt.data;
    const { error } = attempt;
    if (error.status === 401 && call.auth && token !== undefined && !reauthenticated) {
      // The token expired or was revoked early: one fresh token, and this is not counted as a retry.
      call.auth.invalidate(token);
      reauthenticated = true;
      continue;
    }
    if (!error.retryable || retries >= o.maxRetries) throw afterRetries(error, retries);
    const delayMs = attempt.retryAfterMs ?? backoffDelay(retries, o.backoff, o.random);
    retries++;
    o.onRetry?.({ request: label, retry: retries, delayMs, reason: error.message });
    if (error.kind === "rate_limited") {
      if (delayMs > o.maxRetryAfterMs) {
        throw new HopeCloudError("rate_limited", `${label}: the cloud asks to wait ${delayMs} ms`, 429);
      }
      // Every call of this client waits, not only this one: the limit is the account's.
      o.limiter.holdFor(delayMs);
    } else {
      await sleep(delayMs, undefined, { signal: o.signal }).catch(() => {
        throw new HopeCloudError("aborted", `${label}: aborted`);
      });
    }
  }
}

async function attemptOnce(o: TransportOptions, call: Call, label: string, token?: string): Promise<Attempt> {
  const url = new URL(`${o.baseUrl.replace(/\/+$/, "")}${call.path}`);
  for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { accept: "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (call.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  let text: string;
  try {
    res = await o.fetch(url, {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      // The timeout covers the body too: a server that stalls mid-response is a timeout as well.
      signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]),
    });
    text = await res.text();
  } catch (err) {
    if (o.signal.aborted) return fail("aborted", `${label}: aborted`);
    if ((err as Error).name === "TimeoutError") {
      return fail("timeout", `${label}: no response within ${o.timeoutMs} ms`);
    }
    const cause = (err as Error & { cause?: Error }).cause?.message;
    return fail("network", `${label}: ${(err as Error).message}${cause ? ` (${cause})` : ""}`);
  }
  if (res.status === 429) {
    return {
      error: new HopeCloudError("rate_limited", `${label}: HTTP 429`, 429),
      retryAfterMs: parseRetryAfter(res.headers.get("retry-after"), Date.now()),
    };
  }
  if (!res.ok) {
    const kind = res.status === 401 || res.status === 403 ? "auth" : "http";
    return fail(kind, `${label}: HTTP ${res.status}${cloudMessage(text)}`, res.status);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail("invalid_response", `${label}: the response is not JSON`, res.status);
  }
  const parsed = envelope.safeParse(json);
  if (!parsed.success)
    return fail("invalid_response", `${label}: not a HopeCloud response envelope`, res.status);
  if (parsed.data.code !== 0) {
    return fail("api", `${label}: HopeCloud code ${parsed.data.code}${cloudMessage(text)}`, res.status);
  }
  return { data: parsed.data.data };
}

function fail(kind: HopeCloudErrorKind, message: string, status?: number): Attempt {
  return { error: new HopeCloudError(kind, message, status) };
}

function afterRetries(error: HopeCloudError, retries: number): HopeCloudError {
  if (retries === 0) return error;
  return new HopeCloudError(error.kind, `${error.message} (after ${retries} retries)`, error.status, {
    cause: error,
  });
}

/** The cloud's own explanation, when its error body carries one. */
function cloudMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    return typeof message === "string" && message !== "" ? `: ${message.slice(0, 200)}` : "";
  } catch {
    return "";
  }
}
