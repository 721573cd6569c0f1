// Prometheus metrics: one registry per process, served on WATTLINE_METRICS_PORT (0 disables the endpoint).
import { createServer, type Server } from "node:http";
import { collectDefaultMetrics, Registry } from "prom-client";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "wattline_" });

let server: Server | undefined;

export function serveMetrics(port: number): Promise<Server | undefined> {
  if (port === 0 || server) return Promise.resolve(server);
  const s = createServer(async (req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
  });
  server = s;
  return new Promise((resolve, reject) => {
    s.once("error", reject);
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}
