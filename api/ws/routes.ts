// The live feed over HTTP: the upgrade to /ws/monitoring/:system_id (a viewer key, checked before the upgrade like
// every request's), the connection stats, and admins' broadcasts to the clients of one system or all.
import { upgradeWebSocket } from "@hono/node-server";
import type pg from "pg";
import { z } from "zod";
import { isWebSocketUpgrade } from "../auth/credential.ts";
import { ApiError, notFound } from "../errors.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { IdOut, Timestamp } from "../schemas.ts";
import type { Socket } from "./hub.ts";
import { systemExists } from "./load.ts";
import type { LiveMonitor } from "./monitor.ts";

const MAX_BROADCAST_BYTES = 16 * 1024;

const Broadcast = z
  .strictObject({
    system_id: z.number().int().positive().optional().meta({ description: "only this system's clients" }),
    message: z
      .union([z.string().min(1), z.record(z.string(), z.unknown())])
      .meta({ description: "text, or a JSON object (e.g. {type, message, start_time})" }),
  })
  .refine((b) => JSON.stringify(b.message).length <= MAX_BROADCAST_BYTES, {
    path: ["message"],
    message: `at most ${MAX_BROADCAST_BYTES} bytes as JSON`,
  });

const Stats = z.object({
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

export function monitoringRoutes(db: pg.Pool, monitor: LiveMonitor) {
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
        if (!(await systemExists(db, params.system_id))) throw notFound("system", params.system_id);
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
      summary: "Live feed connections of this API process: per system, messages sent, clients dropped",
      tag: "monitoring",
      role: "viewer",
      response: { status: 200, description: "This process's counts", schema: Stats },
      handler: async () => ({ endpoint: "/ws/monitoring/:system_id", ...monitor.stats() }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/ws/broadcast",
      operationId: "broadcastMonitoring",
      summary: "Send a message to the live feed clients of one system, or of all",
      description: "Reaches the clients connected to this API process.",
      tag: "monitoring",
      role: "admin",
      request: { body: Broadcast },
      response: {
        status: 200,
        description: "How many clients got it",
        schema: z.object({ delivered: z.number().int(), systems: z.number().int() }),
      },
      handler: async ({ body }, c) => {
        if (body.system_id !== undefined && !(await systemExists(db, body.system_id)))
          throw notFound("system", body.system_id);
        const { clients, systems } = monitor.hub.broadcast(body.system_id, {
          type: "broadcast",
          data: {
            system_id: body.system_id ?? null,
            message: body.message,
            sent_by: c.get("apiKey").name,
            sent_at: new Date().toISOString(),
          },
        });
        return { delivered: clients, systems };
      },
    }),
  ];
}
