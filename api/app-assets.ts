// The web app (/app) from the assets `web/build.ts` wrote: public (they hold no data; every figure comes from the
// API with the key the user signs in with), a fixed list of files (nothing else of the disk is reachable), and a
// strict Content-Security-Policy: scripts, styles and connections to this origin only. Declared as routes like
// every other, so the OpenAPI document lists them.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Context } from "hono";
import { z } from "zod";
import { notFound } from "./errors.ts";
import { type AnyRoute, defineRoute } from "./openapi/route.ts";

export const APP_PATH = "/app";

const FILES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  // Assets change with each build; revalidating costs a 304 at most.
  "Cache-Control": "no-cache",
};

export const isAppPath = (path: string): boolean => path === APP_PATH || path.startsWith(`${APP_PATH}/`);

const NOT_BUILT = "The web app is not built: run `npm run build:web` (`npm start` builds it).\n";

/** `dir`: where the build wrote the assets, web/dist of this checkout unless told. */
export function appAssetRoutes(dir = join(import.meta.dirname, "..", "web", "dist")): AnyRoute[] {
  const send = async (c: Context, name: string) => {
    const type = FILES[name];
    if (type === undefined) throw notFound("file of the web app", name);
    const body = await readFile(join(dir, name)).catch(() => undefined);
    if (body === undefined) return c.text(NOT_BUILT, 503);
    return c.body(body, 200, { "Content-Type": type, ...SECURITY_HEADERS });
  };
  const page = (path: string) =>
    defineRoute({
      method: "get",
      path,
      operationId: path.endsWith("/") ? "getWebAppPageSlash" : "getWebAppPage",
      summary: "The web app's page (see docs/web.md); 503 when the app is not built",
      tag: "web-app",
      role: "public",
      response: { status: 200, description: "An HTML page", contentType: "text/html" },
      handler: async (_input, c) => send(c, "index.html"),
    });
  return [
    page(APP_PATH),
    page(`${APP_PATH}/`),
    defineRoute({
      method: "get",
      path: `${APP_PATH}/:name`,
      operationId: "getWebAppAsset",
      summary: "A file of the web app: app.js, app.css or index.html",
      tag: "web-app",
      role: "public",
      request: { params: z.strictObject({ name: z.string() }) },
      response: { status: 200, description: "The file", contentType: "application/octet-stream" },
      handler: async ({ params }, c) => send(c, params.name),
    }),
  ];
}
