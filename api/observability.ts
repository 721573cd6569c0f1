// One log line and two metrics per request. Labels carry the route pattern (/api/v1/sites/:site_id), never the
// concrete path, so the metrics' cardinality stays bounded by the number of routes.
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { Counter, Histogram } from "prom-client";
import type { Logger } from "../ground/logger.ts";
import { registry } from "../ground/metrics.ts";

const requests = new Counter({
  name: "wattline_api_requests_total",
  help: "HTTP requests answered, per method, route pattern and status",
  labelNames: ["method", "route", "status"],
  registers: [registry],
});

const duration = new Histogram({
  name: "wattline_api_request_duration_seconds",
  help: "Time to answer an HTTP request, per method and route pattern",
  labelNames: ["method", "route"],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export function observe(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const pattern = routePath(c, -1);
    const route = pattern === "*" || pattern === "/*" ? "unmatched" : pattern;
    const status = c.res.status;
    requests.inc({ method: c.req.method, route, status });
    duration.observe({ method: c.req.method, route }, seconds);
    const line = {
      req_id: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      route,
      status,
      ms: Math.round(seconds * 10_000) / 10,
      key_id: c.get("apiKey")?.id,
    };
    if (status >= 500) logger.error({ ...line, err: c.error }, "request failed");
    else logger.info(line, "request");
  };
}
