// Latencies in whole milliseconds, counted per value (bounded memory however many samples), for percentiles.
const MAX_MS = 120_000;

export class Histogram {
  readonly #counts = new Uint32Array(MAX_MS + 1);
  count = 0;

  add(ms: number): void {
    const i = Math.min(MAX_MS, Math.max(0, Math.round(ms)));
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.count++;
  }

  /** The smallest value with at least `p` (0–1) of the samples at or below it; NaN without samples. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let ms = 0; ms <= MAX_MS; ms++) {
      seen += this.#counts[ms] as number;
      if (seen >= rank) return ms;
    }
    return MAX_MS;
  }

  toJSON() {
    return { samples: this.count, p50: this.percentile(0.5), p99: this.percentile(0.99) };
  }
}
