// The API describing itself (/openapi.json, /docs) and Prometheus metrics (/metrics, admin only: metric labels
// name routes and volumes, which is more than a viewer needs; a local Prometheus may scrape the loopback metrics
// port without a key instead).
import { registry } from "../../ground/metrics.ts";
import { refuseScoped } from "../auth/scope.ts";
import { docsPage } from "../openapi/docs-page.ts";
import { openApiDocument } from "../openapi/document.ts";
import { type AnyRoute, defineRoute } from "../openapi/route.ts";

export function metaRoutes(all: () => readonly AnyRoute[], version: string): AnyRoute[] {
  let document: ReturnType<typeof openApiDocument> | undefined;
  // Built on first use: the route list is complete by then, and the document never changes afterwards.
  const doc = () => {
    document ??= openApiDocument(all(), version);
    return document;
  };
  return [
    defineRoute({
      method: "get",
      path: "/openapi.json",
      operationId: "getOpenApiDocument",
      summary: "This API as an OpenAPI 3.1 document",
      tag: "meta",
      role: "viewer",
      response: { status: 200, description: "The OpenAPI document", contentType: "application/json" },
      handler: async (_input, c) => c.json(doc()),
    }),
    defineRoute({
      method: "get",
      path: "/docs",
      operationId: "getDocsPage",
      summary: "This API as a readable HTML page",
      tag: "meta",
      role: "viewer",
      response: { status: 200, description: "An HTML page, self-contained", contentType: "text/html" },
      handler: async (_input, c) => {
        c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
        return c.html(docsPage(doc()));
      },
    }),
    defineRoute({
      method: "get",
      path: "/metrics",
      operationId: "getMetrics",
      summary: "Prometheus metrics of this process",
      tag: "meta",
      role: "admin",
      response: { status: 200, description: "Prometheus text exposition format", contentType: "text/plain" },
      handler: async (_input, c) => {
        refuseScoped(c, "read the process's metrics");
        return c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType });
      },
    }),
  ];
}
