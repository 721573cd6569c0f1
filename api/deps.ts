// What the app needs from outside. Only the health dependencies are required, so that tests (and /health's
// own test) build an app from pools alone; the rest falls back to defaults that suit a local run.
import type { HopeCloudClient } from "../connectors/hopecloud/client/client.ts";
import type { Config } from "../ground/config.ts";
import type { Logger } from "../ground/logger.ts";
import type { RateLimitOptions } from "./auth/rate-limit.ts";
import type { BackgroundJobs } from "./background.ts";
import type { GroupRows } from "./energy/group-rows.ts";
import type { Dependencies, HealthMonitor } from "./health.ts";
import type { ReplacementSender } from "./replacements/producer.ts";
import type { BroadcastSender } from "./ws/broadcast-producer.ts";
import type { LiveMonitor } from "./ws/monitor.ts";

export interface ApiDependencies extends Dependencies {
  /** Request logs; default: a logger named "api". */
  logger?: Logger;
  /** Dependencies probed in the background for /health; default one made on the first health request. */
  health?: HealthMonitor;
  /** Token bucket per API key; default DEFAULT_RATE_LIMIT. */
  rateLimit?: RateLimitOptions;
  /** Token bucket per client address for requests without a valid key; default DEFAULT_ANONYMOUS_RATE_LIMIT. */
  anonymousRateLimit?: RateLimitOptions;
  /** A stored SOC older than this is unknown in the /now views; 0 or absent: any age. */
  socMaxAgeS?: number;
  /** The energy ledger's consumer group, whose lag the health report shows; default wattline-ledger. */
  ledgerGroup?: string;
  /** What recalculations and the HopeCloud client are configured with; default loadConfig() when first needed. */
  config?: Config;
  /** The HopeCloud client of the module sync; default one from the configuration, made on first use. */
  hopecloud?: () => HopeCloudClient;
  /** The background jobs of this process (recalculations); default a registry of the routes' own. */
  jobs?: BackgroundJobs;
  /** The live feed's connections; default a monitor without feed or timers (no clients, zero counts). */
  monitoring?: LiveMonitor;
  /** Publishes admins' broadcasts for every instance's feed; default none: the broadcast route answers 503. */
  broadcasts?: BroadcastSender;
  /** Where the group routes read the group views; default straight from `questdb` (energy/group-rows.ts). */
  groupRows?: GroupRows;
  /** Publishes meter replacements on the telemetry topic; default a producer on `kafka`, connected on first use. */
  replacements?: ReplacementSender;
}
