// A route is one declaration: method, path, role, zod schemas of its request and response, and a handler.
// defineRoute turns it into @hono/zod-openapi's createRoute config (role check as route middleware, the request
// schemas, the success and shared error responses), which `mount` registers with app.openapi and the document is
// generated from, so the document cannot drift from what the server does.
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { requireRole } from "../auth/middleware.ts";
import type { Role } from "../auth/roles.ts";
import { openApiPath } from "./document.ts";
import { responses } from "./responses.ts";

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

/** A route with its types erased, for lists of routes, and its createRoute config. */
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
  openapi: RouteConfig;
}

/** What a route declares, before defineRoute adds its createRoute config. */
type Declaration = Omit<AnyRoute, "openapi">;

function routeConfig(spec: Declaration): RouteConfig {
  const { params, query, body } = spec.request ?? {};
  const role = spec.role;
  return createRoute({
    method: spec.method,
    path: openApiPath(spec.path),
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    tags: [spec.tag],
    ...(role === "public" ? { security: [] } : { middleware: requireRole(role) }),
    "x-wattline-role": role,
    request: {
      ...(params === undefined ? {} : { params }),
      ...(query === undefined ? {} : { query }),
      ...(body === undefined
        ? {}
        : {
            body: {
              required: !body.safeParse(undefined).success,
              content: { "application/json": { schema: body } },
            },
          }),
    },
    responses: responses(spec),
  });
}

export const defineRoute = <
  Req extends RouteRequest = RouteRequest,
  Res extends z.ZodType | undefined = undefined,
>(
  spec: RouteSpec<Req, Res>,
): AnyRoute => {
  const route = spec as unknown as Declaration;
  return { ...route, openapi: routeConfig(route) };
};

/** Path parameter or query value that is a database id (bigint identity). */
export const DbId = z
  .string()
  .regex(/^[1-9][0-9]{0,14}$/, "expected a positive integer id")
  .transform(Number)
  .meta({ description: "database id (positive integer)", examples: ["42"] });
