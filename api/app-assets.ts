// The web app (/app) from the assets `web/build.ts` wrote: public (they hold no data; every figure comes from the
// API with the key the user signs in with), a fixed list of files (nothing else of the disk is reachable), and a
// strict Content-Security-Policy: scripts, styles and connections to this origin only.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Context, Hono } from "hono";

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

const NOT_BUILT = `The web app is not built: run \`npm run build:web\` (\`npm start\` builds it).\n`;

/** Serves `dir`'s assets at /app; `dir` defaults to web/dist of this checkout. */
export function mountAppAssets(app: Hono, dir = join(import.meta.dirname, "..", "web", "dist")): void {
  const send = async (c: Context, name: string) => {
    const type = FILES[name];
    if (type === undefined) return c.notFound();
    const body = await readFile(join(dir, name)).catch(() => undefined);
    if (body === undefined) return c.text(NOT_BUILT, 503);
    return c.body(body, 200, { "Content-Type": type, ...SECURITY_HEADERS });
  };
  app.get(APP_PATH, (c) => c.redirect(`${APP_PATH}/`, 301));
  app.get(`${APP_PATH}/`, (c) => send(c, "index.html"));
  app.get(`${APP_PATH}/:name`, (c) => send(c, c.req.param("name")));
}
