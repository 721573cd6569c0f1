// Client-side request rate limit (GCRA, a token bucket without a timer): at most `perSecond` requests per second
// on average, bursts of up to `burst`. Slots are reserved synchronously, so concurrent callers go in call order.
import { setTimeout as sleep } from "node:timers/promises";

export class RateLimiter {
  readonly #interval: number;
  readonly #tolerance: number;
  /** Theoretical arrival time of the next request. */
  #tat = 0;

  constructor(
    perSecond: number,
    burst = Math.max(1, Math.floor(perSecond)),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#interval = 1000 / perSecond;
    this.#tolerance = (burst - 1) * this.#interval;
  }

  /** Resolves when the caller may send its request. */
  async take(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const tat = Math.max(this.#tat, now);
    this.#tat = tat + this.#interval;
    const wait = tat - this.#tolerance - now;
    if (wait > 0) await sleep(wait, undefined, { signal });
  }

  /** Holds every request back for `ms`: the server said so (429 Retry-After), for all of this client's calls. */
  holdFor(ms: number): void {
    this.#tat = Math.max(this.#tat, this.now() + ms + this.#tolerance);
  }
}
