// A route is one declaration: method, path, role, zod schemas of its request and response, and a handler. The same
// declaration registers the Hono route (role check, validation, response check) and describes the operation in the
// OpenAPI document, so the document cannot drift from what the server does. The shape follows @hono/zod-openapi's
// createRoute so that a move to that package stays mechanical.
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { requireRole } from "../auth/middleware.ts";
import type { Role } from "../auth/roles.ts";
import { ApiError, type Location, validationError } from "../errors.ts";

export type Method = "get" | "post" | "patch" | "put" | "delete";

export interface RouteRequest {
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<Req extends RouteRequest> {
  params: Out<Req["params"]>;
  query: Out<Req["query"]>;
  body: Out<Req["body"]>;
}

export interface RouteResponse<Res extends z.ZodType | undefined> {
  /** 101: a WebSocket upgrade; 202: a job started in the background. */
  status: 101 | 200 | 201 | 202;
  description: string;
  /** JSON body; absent for a route whose handler builds its own Response (text, HTML). */
  schema?: Res;
  /** Content type of a body without schema. */
  contentType?: string;
}

export interface RouteSpec<Req extends RouteRequest, Res extends z.ZodType | undefined> {
  method: Method;
  /** Hono syntax: /api/v1/sites/:site_id */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** "public": no credential needed (only /health). */
  role: Role | "public";
  request?: Req;
  response: RouteResponse<Res>;
  /** Whether the route can answer 409 (a duplicate key, a record still referenced, an immutable row). */
  conflicts?: boolean;
  handler: (input: RouteInput<Req>, c: Context) => Promise<Res extends z.ZodType ? z.input<Res> : Response>;
}

/** A route with its types erased, for lists of routes. */
export interface AnyRoute {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  role: Role | "public";
  request?: RouteRequest;
  response: RouteResponse<z.ZodType | undefined>;
  conflicts?: boolean;
  handler: (input: never, c: Context) => Promise<unknown>;
}

export const defineRoute = <
  Req extends RouteRequest = RouteRequest,
  Res extends z.ZodType | undefined = undefined,
>(
  spec: RouteSpec<Req, Res>,
): AnyRoute => spec as unknown as AnyRoute;

async function parse(
  location: Location,
  schema: z.ZodType | undefined,
  value: () => unknown | Promise<unknown>,
) {
  if (schema === undefined) return undefined;
  const result = schema.safeParse(await value());
  if (!result.success) throw validationError(location, result.error);
  return result.data;
}

/** The parsed body; undefined when there is none, for the body schema to accept (optional body) or refuse. */
async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, "invalid_json", `the request body is not JSON: ${(err as Error).message}`);
  }
}

export function mount(app: Hono, routes: readonly AnyRoute[]): void {
  for (const route of routes) {
    const { request, response } = route;
    const handle = async (c: Context) => {
      const input = {
        params: await parse("params", request?.params, () => c.req.param()),
        query: await parse("query", request?.query, () => c.req.query()),
        body: await parse("body", request?.body, () => jsonBody(c)),
      };
      const result = await route.handler(input as never, c);
      if (result instanceof Response) return result;
      // The response schema is an allow-list too: a column a query selects by mistake never reaches a client.
      const body = response.schema === undefined ? result : response.schema.parse(result);
      // A 101 route's handler always answers with its own Response.
      return c.json(body as object, response.status as ContentfulStatusCode);
    };
    const method = route.method.toUpperCase();
    if (route.role === "public") app.on(method, route.path, handle);
    else app.on(method, route.path, requireRole(route.role), handle);
  }
}

/** Path parameter or query value that is a database id (bigint identity). */
export const DbId = z
  .string()
  .regex(/^[1-9][0-9]{0,14}$/, "expected a positive integer id")
  .transform(Number)
  .meta({ description: "database id (positive integer)", examples: ["42"] });
