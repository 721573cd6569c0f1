// What the app needs from outside. Only the health dependencies are required, so that tests (and /health's
// own test) build an app from pools alone; the rest falls back to defaults that suit a local run.
import type { Logger } from "../deploy/logger.ts";
import type { RateLimitOptions } from "./auth/rate-limit.ts";
import type { Dependencies } from "./health.ts";

export interface ApiDependencies extends Dependencies {
  /** Request logs; default: a logger named "api". */
  logger?: Logger;
  /** Token bucket per API key; default DEFAULT_RATE_LIMIT. */
  rateLimit?: RateLimitOptions;
  /** A stored SOC older than this is unknown in the /now views; 0 or absent: any age. */
  socMaxAgeS?: number;
  /** The energy ledger's consumer group, whose lag the health report shows; default wattline-ledger. */
  ledgerGroup?: string;
}
