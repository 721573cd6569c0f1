// How long the process stood still. A paused process (SIGSTOP, a long GC, a long synchronous task) runs no timers
// and sends no heartbeats, so its group may hand its partitions to another instance; the gap between two ticks of a
// short interval timer measures such a pause. Slow I/O is not a stall: a process waiting on a slow write keeps
// ticking and heartbeating, and keeps its partitions.
export interface Stalls {
  /** The longest time the event loop stood still after `since` (a performance.now() instant), up to now. */
  longestSince(since: number): number;
}

export class StallWatch implements Stalls {
  /** Gaps between ticks longer than two ticks, with when they ended. */
  #gaps: { end: number; gap: number }[] = [];
  #last = performance.now();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly tickMs = 100,
    private readonly keepMs = 300_000,
  ) {
    this.#timer = setInterval(() => this.#tick(), tickMs);
    this.#timer.unref();
  }

  longestSince(since: number): number {
    const now = performance.now();
    // A stall going on now: the process resumed and runs this before the timer could tick.
    let longest = now - Math.max(this.#last, since);
    for (const { end, gap } of this.#gaps)
      if (end > since) longest = Math.max(longest, Math.min(gap, end - since));
    return longest;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const now = performance.now();
    const gap = now - this.#last;
    this.#last = now;
    if (gap > 2 * this.tickMs) this.#gaps.push({ end: now, gap });
    while ((this.#gaps[0]?.end ?? now) < now - this.keepMs) this.#gaps.shift();
  }
}
