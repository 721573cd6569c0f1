// The address a request came from, for limits on requests without a valid key: the socket's peer. Forwarded headers
// are not trusted (anyone can write them); behind a proxy every client shares the proxy's address and budget.
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

/** "local" when there is no socket: requests made in-process (app.request in tests). */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "local";
  } catch {
    return "local";
  }
}
