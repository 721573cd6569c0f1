// Where a request's API key is. Always the Authorization header; for a WebSocket upgrade also `?token=<key>` or a
// Sec-WebSocket-Protocol value, because browsers cannot set headers on one. Query tokens count nowhere else: URLs
// end up in proxy logs and browser history (the API's own request log leaves the query out).
import type { Context } from "hono";

/** The subprotocol a browser offers next to its key (`new WebSocket(url, [WS_PROTOCOL, key])`); the server selects it. */
export const WS_PROTOCOL = "wattline.v1";

export const isWebSocketUpgrade = (c: Context): boolean =>
  c.req.header("upgrade")?.toLowerCase() === "websocket";

export type Presented = { token: string } | { problem: string };

/** The offered subprotocols other than WS_PROTOCOL: the key, when a browser sends it this way. */
function protocolKey(header: string | undefined): string | undefined {
  return header
    ?.split(",")
    .map((p) => p.trim())
    .find((p) => p !== "" && p !== WS_PROTOCOL);
}

export function presentedKey(c: Context): Presented {
  const header = c.req.header("Authorization");
  if (header !== undefined) {
    const [scheme, token, ...rest] = header.trim().split(/\s+/);
    if (scheme?.toLowerCase() !== "bearer" || token === undefined || rest.length > 0)
      return { problem: "the Authorization header must be: Bearer <key>" };
    return { token };
  }
  if (!isWebSocketUpgrade(c)) return { problem: "an API key is required: Authorization: Bearer <key>" };
  const token = c.req.query("token") ?? protocolKey(c.req.header("sec-websocket-protocol"));
  return token
    ? { token }
    : {
        problem: `an API key is required: Authorization: Bearer <key>, ?token=<key> or Sec-WebSocket-Protocol: ${WS_PROTOCOL}, <key>`,
      };
}
