// The one error the HopeCloud client throws. `kind` says what went wrong; `retryable` whether the same request
// may succeed later (the client has already retried those as often as it was allowed to).
export type HopeCloudErrorKind =
  | "timeout"
  | "network"
  | "http"
  | "rate_limited"
  | "auth"
  | "api"
  | "invalid_response"
  | "aborted";

const RETRYABLE: ReadonlySet<HopeCloudErrorKind> = new Set(["timeout", "network", "rate_limited"]);

export class HopeCloudError extends Error {
  override readonly name = "HopeCloudError";

  constructor(
    readonly kind: HopeCloudErrorKind,
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind) || (this.kind === "http" && (this.status ?? 0) >= 500);
  }
}
