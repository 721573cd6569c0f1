// The access token: fetched on first use, renewed shortly before it expires, and dropped when the cloud refuses
// it (401) so that the next call re-authenticates. Concurrent callers share one token request.

export interface IssuedToken {
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
}

export class TokenSource {
  #current: { value: string; renewAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(
    private readonly issue: () => Promise<IssuedToken>,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<string> {
    const current = this.#current;
    if (current && this.now() < current.renewAt) return Promise.resolve(current.value);
    this.#pending ??= this.#renew().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Forgets `value` if it is still the current token (another caller may have renewed it already). */
  invalidate(value: string): void {
    if (this.#current?.value === value) this.#current = undefined;
  }

  async #renew(): Promise<string> {
    const requestedAt = this.now();
    const t = await this.issue();
    // Renew a tenth of the lifetime (at most a minute) early, so that no request carries a token expiring in flight.
    const margin = Math.min(60_000, t.expiresIn * 100);
    this.#current = { value: t.accessToken, renewAt: requestedAt + t.expiresIn * 1000 - margin };
    return t.accessToken;
  }
}
