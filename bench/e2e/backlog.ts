// How far behind a downstream count is, in time: the history of an upstream count (sampled) tells when the oldest
// record downstream has not reached yet arrived upstream, and the backlog is that record's age. Its resolution is
// the sampling period.
export class Backlog {
  readonly #times: number[] = [];
  readonly #counts: number[] = [];

  /** The upstream's cumulative count at `now` (non-decreasing). */
  record(now: number, upstream: number): void {
    this.#times.push(now);
    this.#counts.push(upstream);
  }

  /** The age in ms of the oldest upstream record not yet counted downstream; 0 when downstream has them all. */
  age(now: number, downstream: number): number {
    const counts = this.#counts;
    if (counts.length === 0 || downstream >= (counts.at(-1) as number)) return 0;
    let lo = 0;
    let hi = counts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((counts[mid] as number) > downstream) hi = mid;
      else lo = mid + 1;
    }
    return now - (this.#times[lo] as number);
  }
}
