// Access tokens of the simulated cloud: random, valid for a lifetime, revocable all at once (to test re-auth).
import { randomBytes } from "node:crypto";

export class Tokens {
  readonly #expiry = new Map<string, number>();

  constructor(
    readonly ttlS: number,
    private readonly now: () => number,
  ) {}

  issue(): string {
    const token = randomBytes(24).toString("base64url");
    this.#expiry.set(token, this.now() + this.ttlS * 1000);
    return token;
  }

  valid(token: string): boolean {
    const expiry = this.#expiry.get(token);
    if (expiry === undefined) return false;
    if (this.now() < expiry) return true;
    this.#expiry.delete(token);
    return false;
  }

  /** Every issued token stops working, as when the cloud revokes sessions. */
  expireAll(): void {
    this.#expiry.clear();
  }
}
