// The Hono application: routes and middleware, no listening socket (tests call `app.request`).
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { checkHealth, type Dependencies } from "./health.ts";

export function createApp(deps: Dependencies): Hono {
  const app = new Hono();
  app.use(requestId());
  app.get("/health", async (c) => {
    const report = await checkHealth(deps);
    return c.json(report, report.status === "healthy" ? 200 : 503);
  });
  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.onError((err, c) => c.json({ error: { code: "internal", message: err.message } }, 500));
  return app;
}
