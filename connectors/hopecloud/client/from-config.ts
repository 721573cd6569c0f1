// The client as the configuration describes it; a real cloud without credentials is a configuration error.
import { type Config, ConfigError } from "../../../ground/config.ts";
import type { Logger } from "../../../ground/logger.ts";
import { HopeCloudClient } from "./client.ts";

export function hopecloudClient(config: Config, logger?: Logger): HopeCloudClient {
  const h = config.hopecloud;
  if (h.appKey === undefined || h.appSecret === undefined) {
    throw new ConfigError(
      "WATTLINE_HOPECLOUD_APP_KEY and WATTLINE_HOPECLOUD_APP_SECRET are required with WATTLINE_HOPECLOUD_URL",
    );
  }
  return new HopeCloudClient({
    baseUrl: h.url,
    appKey: h.appKey,
    appSecret: h.appSecret,
    timeoutMs: h.timeoutMs,
    maxRetries: h.maxRetries,
    requestsPerSecond: h.requestsPerSecond,
    pageSize: h.pageSize,
    onRetry: (event) => logger?.warn(event, "retrying a HopeCloud request"),
  });
}
