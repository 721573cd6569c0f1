// The live feed over HTTP: the upgrade to /ws/monitoring/:system_id (a viewer key, checked before the upgrade like
// every request's), this instance's connection stats, and admins' broadcasts to the clients of one system or all,
// published to Kafka so that every API instance delivers them to its own clients. A key scoped to sites watches and
// broadcasts to its sites' systems only (another system is a 404 before any upgrade); the stats span every system.
import { upgradeWebSocket } from "@hono/node-server";
import type pg from "pg";
import { z } from "zod";
import { isWebSocketUpgrade } from "../auth/credential.ts";
import { refuseScoped, siteScope } from "../auth/scope.ts";
import { ApiError, notFound } from "../errors.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { IdOut, Timestamp } from "../schemas.ts";
import { BroadcastMessage, broadcastRecord } from "./broadcast.ts";
import type { BroadcastSender } from "./broadcast-producer.ts";
import type { Socket } from "./hub.ts";
import { systemExists } from "./load.ts";
import type { LiveMonitor } from "./monitor.ts";

const Broadcast = z.strictObject({
  system_id: z.number().int().positive().optional().meta({ description: "only this system's clients" }),
  message: BroadcastMessage,
});

const Published = z.object({
  broadcast_id: z.string().meta({ description: "also in every client's broadcast message" }),
  system_id: IdOut.nullable().meta({ description: "null: to the clients of every system" }),
  sent_at: Timestamp,
});

const Stats = z.object({
  instance: z
    .object({ id: z.string(), hostname: z.string(), pid: z.number().int() })
    .meta({ description: "the API instance that answered: every count below is its own" }),
  endpoint: z.string(),
  total_connections: z.number().int(),
  active_systems: z.number().int(),
  systems: z.array(z.object({ system_id: IdOut, connections: z.number().int() })),
  messages_sent: z.number().int(),
  dropped_clients: z.object({
    slow: z.number().int().meta({ description: "dropped for not reading: too much waiting to be sent" }),
    unresponsive: z.number().int().meta({ description: "terminated for not answering a ping" }),
  }),
  feed: z
    .object({
      group_id: z.string(),
      ready: z.boolean(),
      records: z.number().int(),
      last_record_at: Timestamp.nullable(),
    })
    .nullable()
    .meta({ description: "this process's Kafka consumer; null when none runs" }),
});

/** @hono/node-server puts the Node request into the env; app.request() (tests) has none to upgrade. */
const hasServer = (env: unknown) => (env as { incoming?: unknown } | undefined)?.incoming !== undefined;

/** `broadcasts` absent: this process runs no live feed, and the broadcast route answers 503. */
export function monitoringRoutes(db: pg.Pool, monitor: LiveMonitor, broadcasts?: BroadcastSender) {
  return [
    defineRoute({
      method: "get",
      path: "/ws/monitoring/:system_id",
      operationId: "monitorSystem",
      summary: "WebSocket: a system's live MonitoringData (a snapshot, then updates)",
      description:
        "Upgrade with a key in Authorization, `?token=` or `Sec-WebSocket-Protocol: wattline.v1, <key>`. See docs/api.md for the messages.",
      tag: "monitoring",
      role: "viewer",
      request: { params: z.strictObject({ system_id: DbId }) },
      response: { status: 101, description: "Switching to the WebSocket protocol" },
      handler: async ({ params }, c) => {
        if (!isWebSocketUpgrade(c) || !hasServer(c.env)) {
          c.header("Upgrade", "websocket");
          throw new ApiError(
            426,
            "upgrade_required",
            "a WebSocket endpoint: connect with Upgrade: websocket",
          );
        }
        if (!(await systemExists(db, params.system_id, siteScope(c))))
          throw notFound("system", params.system_id);
        return upgradeWebSocket(c, {
          // The raw socket is the ws package's WebSocket (the server is a ws WebSocketServer).
          onOpen: (_event, ws) => void monitor.connect(params.system_id, ws.raw as unknown as Socket),
        });
      },
    }),
    defineRoute({
      method: "get",
      path: "/ws/monitoring",
      operationId: "getMonitoringStats",
      summary:
        "Live feed connections of the answering API instance: per system, messages sent, clients dropped",
      description: "Per instance: behind a balancer, `instance` says which one answered.",
      tag: "monitoring",
      role: "viewer",
      response: { status: 200, description: "This instance's counts", schema: Stats },
      handler: async (_input, c) => {
        refuseScoped(c, "read the connections of every system");
        return { endpoint: "/ws/monitoring/:system_id", ...monitor.stats() };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/ws/broadcast",
      operationId: "broadcastMonitoring",
      summary: "Send a message to the live feed clients of one system, or of all, on every API instance",
      description:
        "Published to Kafka (monitoring.broadcasts.v1); each API instance's feed delivers it to its own clients, " +
        "so a client gets it once. 503 when it could not be published.",
      tag: "monitoring",
      role: "admin",
      request: { body: Broadcast },
      response: {
        status: 202,
        description: "Published: every instance delivers it to its clients within moments",
        schema: Published,
      },
      handler: async ({ body }, c) => {
        if (body.system_id === undefined) refuseScoped(c, "broadcast to every system");
        else if (!(await systemExists(db, body.system_id, siteScope(c))))
          throw notFound("system", body.system_id);
        if (broadcasts === undefined)
          throw new ApiError(503, "broadcast_unavailable", "this API process runs no live feed");
        const record = broadcastRecord(body.system_id ?? null, body.message, c.get("apiKey").name);
        try {
          await broadcasts.send(record);
        } catch (err) {
          throw new ApiError(
            503,
            "broadcast_unavailable",
            `the broadcast could not be published: ${(err as Error).message}`,
          );
        }
        return {
          broadcast_id: record.broadcast_id,
          system_id: record.system_id,
          sent_at: new Date(record.sent_at).toISOString(),
        };
      },
    }),
  ];
}
