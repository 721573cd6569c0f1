// The simulator's misbehaviour, set at start or changed while it runs: plants whose modules endpoint fails,
// plants that answer slowly (timeouts), a burst of server errors, and a request rate limit (429 + Retry-After).

export interface RateLimit {
  /** Requests allowed per window… */
  limit: number;
  /** …of this many milliseconds (fixed windows). */
  windowMs: number;
}

export interface FaultOptions {
  /** Plants whose divertors (modules) endpoint answers 500. */
  failingPlants?: readonly string[];
  /** Milliseconds a plant waits before answering any of its endpoints. */
  delays?: Readonly<Record<string, number>>;
  rateLimit?: RateLimit;
}

export class Faults {
  readonly failingPlants: Set<string>;
  readonly delays: Map<string, number>;
  rateLimit: RateLimit | undefined;
  #failNext = 0;
  #failStatus = 503;
  #window = { start: Number.NEGATIVE_INFINITY, count: 0 };

  constructor(o: FaultOptions) {
    this.failingPlants = new Set(o.failingPlants);
    this.delays = new Map(Object.entries(o.delays ?? {}));
    this.rateLimit = o.rateLimit;
  }

  /** The next `count` requests (any endpoint) fail with `status`. */
  failNext(count: number, status = 503): void {
    this.#failNext = count;
    this.#failStatus = status;
  }

  /** The status of an injected failure for this request, if any. */
  takeFailure(): number | undefined {
    if (this.#failNext <= 0) return undefined;
    this.#failNext--;
    return this.#failStatus;
  }

  /**
   * Seconds to wait when this request exceeds the rate limit, else undefined (and the request counts). Wall-clock
   * time, not the simulated clock: the client waits in real time.
   */
  retryAfterS(now = performance.now()): number | undefined {
    const limit = this.rateLimit;
    if (!limit) return undefined;
    if (now - this.#window.start >= limit.windowMs) this.#window = { start: now, count: 0 };
    if (this.#window.count < limit.limit) {
      this.#window.count++;
      return undefined;
    }
    return Math.max(1, Math.ceil((this.#window.start + limit.windowMs - now) / 1000));
  }
}
