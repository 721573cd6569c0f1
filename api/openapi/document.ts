// The OpenAPI 3.1 document, made from the route declarations. OpenAPI 3.1's schema objects are JSON Schema 2020-12,
// which is what zod 4 emits, so schemas go in as zod writes them: request parts as their input type, responses as
// their output type.
import { z } from "zod";
import { ErrorBody } from "../errors.ts";
import type { AnyRoute } from "./route.ts";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** /api/v1/sites/:site_id → /api/v1/sites/{site_id} */
export const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

function parameters(schema: z.ZodObject | undefined, location: "path" | "query") {
  if (schema === undefined) return [];
  const object = jsonSchema(schema, "input");
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === "path" || required.has(name),
      ...(description === undefined ? {} : { description }),
      schema: rest,
    };
  });
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

function responses(route: AnyRoute) {
  const { response, request, role } = route;
  const success =
    response.status === 101
      ? { description: response.description }
      : response.schema === undefined
        ? { description: response.description, content: { [response.contentType ?? "text/plain"]: {} } }
        : {
            description: response.description,
            content: { "application/json": { schema: jsonSchema(response.schema, "output") } },
          };
  const hasInput =
    request?.params !== undefined || request?.query !== undefined || request?.body !== undefined;
  return {
    [response.status]: success,
    ...(hasInput ? { 400: errorResponse("Invalid input: details.issues names each problem") } : {}),
    ...(role === "public" ? {} : { 401: errorResponse("No API key, or an unknown or revoked one") }),
    ...(role === "public" || role === "viewer"
      ? {}
      : { 403: errorResponse(`The key's role is below ${role}`) }),
    ...(route.path.includes(":") ? { 404: errorResponse("No such record") } : {}),
    ...(route.conflicts ? { 409: errorResponse("Conflicts with what is stored") } : {}),
    ...(role === "public" ? {} : { 429: errorResponse("Rate limit of the key exceeded; see Retry-After") }),
    500: errorResponse("Unexpected server error"),
  };
}

export function openApiDocument(routes: readonly AnyRoute[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    const body = route.request?.body;
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description === undefined ? {} : { description: route.description }),
      tags: [route.tag],
      ...(route.role === "public" ? { security: [] } : {}),
      "x-wattline-role": route.role,
      parameters: [
        ...parameters(route.request?.params, "path"),
        ...parameters(route.request?.query, "query"),
      ],
      ...(body === undefined
        ? {}
        : {
            requestBody: {
              required: !body.safeParse(undefined).success,
              content: { "application/json": { schema: jsonSchema(body, "input") } },
            },
          }),
      responses: responses(route),
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Wattline API",
      version,
      description:
        "Registry, hierarchy and operations API of Wattline. Every route but /health needs `Authorization: Bearer <key>`;" +
        " a key's role (viewer, operator, admin) decides what it may do. Errors are always" +
        ' {"error": {"code", "message", "details"}}.',
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "An API key from `wattline apikey create`" },
      },
      schemas: { Error: jsonSchema(ErrorBody, "output") },
    },
    paths,
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
