// The Hono application: middleware, every route, the error envelope; no listening socket (tests call
// `app.request`). Order per request: request id → log/metrics → body limit → API key (401) → rate limit (429)
// → the route's role (403) → validation (400) → handler.
import { readFileSync } from "node:fs";
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { HopeCloudClient } from "../connectors/hopecloud/client/client.ts";
import { hopecloudClient } from "../connectors/hopecloud/client/from-config.ts";
import { type Config, loadConfig } from "../ground/config.ts";
import { createLogger } from "../ground/logger.ts";
import { appAssetRoutes, isAppPath } from "./app-assets.ts";
import { authenticate, limitByAddress, rateLimit } from "./auth/middleware.ts";
import { DEFAULT_ANONYMOUS_RATE_LIMIT, DEFAULT_RATE_LIMIT, RateLimiter } from "./auth/rate-limit.ts";
import { BackgroundJobs } from "./background.ts";
import type { ApiDependencies } from "./deps.ts";
import { directGroupRows } from "./energy/group-rows.ts";
import { ApiError, errorResponse, handleError } from "./errors.ts";
import { observe } from "./observability.ts";
import { mount, openApiApp } from "./openapi/mount.ts";
import type { AnyRoute } from "./openapi/route.ts";
import { ReplacementProducer, type ReplacementSender } from "./replacements/producer.ts";
import { analyticsRoutes } from "./routes/analytics.ts";
import { apiKeyRoutes } from "./routes/api-keys.ts";
import { batteryArrayRoutes } from "./routes/battery-arrays.ts";
import { batteryPackRoutes } from "./routes/battery-packs.ts";
import { chargingRoutes } from "./routes/charging.ts";
import { communicationModuleRoutes } from "./routes/communication-modules.ts";
import { costVersionRoutes } from "./routes/cost-versions.ts";
import { deviceRoutes } from "./routes/devices.ts";
import { energyRoutes } from "./routes/energy.ts";
import { healthRoutes } from "./routes/health.ts";
import { hopecloudRoutes } from "./routes/hopecloud.ts";
import { inverterArrayRoutes } from "./routes/inverter-arrays.ts";
import { inverterRoutes } from "./routes/inverters.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { metaRoutes } from "./routes/meta.ts";
import { meterReplacementRoutes } from "./routes/meter-replacements.ts";
import { meterRoutes } from "./routes/meters.ts";
import { reviewTicketRoutes } from "./routes/review-tickets.ts";
import { sessionRoutes } from "./routes/session.ts";
import { siteRoutes } from "./routes/sites.ts";
import { systemRoutes } from "./routes/systems.ts";
import { LiveMonitor } from "./ws/monitor.ts";
import { monitoringRoutes } from "./ws/routes.ts";

/** The package's version, read from package.json when the routes are first listed (never at import). */
let version: string | undefined;
const packageVersion = (): string =>
  (version ??= JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
    .version as string);
const MAX_BODY_BYTES = 1024 * 1024;
const PUBLIC_PATHS = new Set(["/health"]);
/** WATTLINE_API_CACHE_TTL_MS's default, for apps made without a configuration (tests, benchmarks). */
const DEFAULT_CACHE_TTL_MS = 5000;

const cacheTtlMs = (deps: ApiDependencies) => deps.config?.api.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;

/** Every route of the API, in the order the OpenAPI document lists them. */
export function apiRoutes(deps: ApiDependencies): AnyRoute[] {
  const db = deps.postgres;
  const now = { socMaxAgeS: deps.socMaxAgeS ?? 0 };
  const logger = deps.logger ?? createLogger("api");
  // Configuration and the HopeCloud client are made when a route first needs them, not when routes are listed.
  let config: Config | undefined = deps.config;
  const configured = () => (config ??= loadConfig());
  let cloud: HopeCloudClient | undefined;
  let replacements: ReplacementSender | undefined;
  const hopecloud = deps.hopecloud ?? (() => (cloud ??= hopecloudClient(configured(), logger)));
  const routes: AnyRoute[] = [
    ...healthRoutes(deps),
    ...siteRoutes(db),
    ...deviceRoutes(db),
    ...systemRoutes(db, now),
    ...inverterArrayRoutes(db, now),
    ...inverterRoutes(db, now),
    ...batteryArrayRoutes(db, now),
    ...batteryPackRoutes(db, now),
    ...meterRoutes(db),
    ...meterReplacementRoutes(
      db,
      () => (replacements ??= deps.replacements ?? new ReplacementProducer(deps.kafka)),
      () => configured().ingest.maxFutureMs,
    ),
    ...communicationModuleRoutes(db),
    ...costVersionRoutes(db),
    ...reviewTicketRoutes(db),
    ...chargingRoutes(db),
    ...energyRoutes(
      db,
      { questdb: deps.questdb, groups: deps.groupRows ?? directGroupRows(deps.questdb) },
      cacheTtlMs(deps),
    ),
    ...analyticsRoutes(db, deps.questdb),
    ...jobRoutes(db, deps.jobs ?? new BackgroundJobs(db, logger), configured),
    ...hopecloudRoutes(db, hopecloud),
    ...monitoringRoutes(
      db,
      deps.monitoring ?? new LiveMonitor({ postgres: db, questdb: deps.questdb, logger }),
      deps.broadcasts,
    ),
    ...apiKeyRoutes(db),
    ...sessionRoutes(),
    ...appAssetRoutes(),
  ];
  routes.push(...metaRoutes(() => routes, packageVersion()));
  return routes;
}

export function createApp(deps: ApiDependencies): Hono {
  const logger = deps.logger ?? createLogger("api");
  const app = openApiApp();
  app.use(requestId());
  app.use(observe(logger));
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) =>
      errorResponse(
        c,
        new ApiError(413, "payload_too_large", `request bodies are limited to ${MAX_BODY_BYTES} bytes`),
      ),
  });
  // GET and HEAD carry no body, and asking for one costs @hono/node-server a whole Fetch Request per call.
  app.use((c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? next() : limitBody(c, next)));
  const byAddress = new RateLimiter<string>(deps.anonymousRateLimit ?? DEFAULT_ANONYMOUS_RATE_LIMIT);
  for (const path of PUBLIC_PATHS) app.use(path, limitByAddress(byAddress));
  app.use(
    authenticate(
      deps.postgres,
      (c) => PUBLIC_PATHS.has(c.req.path) || isAppPath(c.req.path),
      cacheTtlMs(deps),
      byAddress,
    ),
  );
  app.use(rateLimit(new RateLimiter(deps.rateLimit ?? DEFAULT_RATE_LIMIT)));
  mount(app, apiRoutes(deps));
  app.notFound((c) =>
    errorResponse(c, new ApiError(404, "not_found", `no route ${c.req.method} ${c.req.path}`)),
  );
  app.onError(handleError);
  return app;
}
