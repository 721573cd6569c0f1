// Serving the declared routes with @hono/zod-openapi: app.openapi registers each createRoute config (role
// middleware, then the library's validation of params, query and body), the defaultHook turns a validation failure
// into the API's 400, and the handler gets the validated input.
import { type Hook, OpenAPIHono } from "@hono/zod-openapi";
import type { BlankEnv } from "hono/types";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type Location, validationError } from "../errors.ts";
import type { AnyRoute } from "./route.ts";

const LOCATIONS: Partial<Record<string, Location>> = { param: "params", query: "query", json: "body" };

const refuseInvalid: Hook<unknown, BlankEnv, string, undefined> = (result) => {
  if (!result.success) throw validationError(LOCATIONS[result.target] ?? "body", result.error);
};

/** An app whose routes answer invalid input with the error envelope (400 validation_failed with locations). */
export const openApiApp = () => new OpenAPIHono({ defaultHook: refuseInvalid });

export function mount(app: OpenAPIHono<BlankEnv>, routes: readonly AnyRoute[]): void {
  for (const route of routes) {
    const { response } = route;
    app.openapi(route.openapi, async (c) => {
      // The config's types are erased in a list of routes; defineRoute typed the handler's input.
      const req = c.req as unknown as { valid(target: string): unknown };
      const input = { params: req.valid("param"), query: req.valid("query"), body: req.valid("json") };
      const result = await route.handler(input as never, c);
      if (result instanceof Response) return result;
      // The library checks requests only. The response schema is an allow-list too: a column a query selects by
      // mistake never reaches a client, and a response that breaks its schema is a 500.
      const body = response.schema === undefined ? result : response.schema.parse(result);
      // A 101 route's handler always answers with its own Response.
      return c.json(body as object, response.status as ContentfulStatusCode);
    });
  }
}
