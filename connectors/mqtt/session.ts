// The connector's MQTT session: its subscriptions, and their creation ahead of the connector. A persistent session
// (clean=false) makes the broker queue QoS 1 messages for the connector while it is away; created when the broker is
// (by `wattline stack up`), it makes the broker queue them from its first instant, before the connector ever ran.
import mqtt from "mqtt";
import type { Route } from "./routes.ts";

/** Topics watched beyond the routes' own filters, so that a device publishing somewhere unexpected is seen. */
const WATCHED = ["autovolt/#"];

export function connectorFilters(routes: readonly Route[]): string[] {
  return [...new Set([...routes.map((r) => r.topic.filter), ...WATCHED])];
}

export const qos1 = (filters: string[]) => Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }]));

export interface SessionOwner {
  url: string;
  clientId: string;
  username: string;
  password: string;
}

/** Connects as the connector would, subscribes, and leaves: the broker keeps the session and queues for it. */
export async function createConnectorSession(owner: SessionOwner, filters: string[]): Promise<void> {
  const client = await mqtt.connectAsync(owner.url, {
    clientId: owner.clientId,
    clean: false,
    username: owner.username,
    password: owner.password,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  try {
    await client.subscribeAsync(qos1(filters));
  } finally {
    await client.endAsync();
  }
}
