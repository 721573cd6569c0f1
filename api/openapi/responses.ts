// An operation's responses: its success, and the errors it can answer as far as its declaration tells (input, role,
// path parameters, conflicts), each with the shared envelope.
import type { RouteConfig } from "@hono/zod-openapi";
import type { z } from "zod";

/** What of a route declaration (route.ts) its responses depend on. */
interface Declared {
  path: string;
  role: string;
  conflicts?: boolean;
  request?: { params?: unknown; query?: unknown; body?: unknown };
  response: { status: number; description: string; schema?: z.ZodType; contentType?: string };
}

/** The component every error response refers to instead of repeating the envelope (document.ts defines it). */
export const ERROR_COMPONENT = "Error";

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ERROR_COMPONENT}` } } },
});

function success({ response }: Declared) {
  if (response.status === 101) return { description: response.description };
  if (response.schema === undefined)
    return { description: response.description, content: { [response.contentType ?? "text/plain"]: {} } };
  return { description: response.description, content: { "application/json": { schema: response.schema } } };
}

export function responses(route: Declared): RouteConfig["responses"] {
  const { request, role } = route;
  const hasInput =
    request?.params !== undefined || request?.query !== undefined || request?.body !== undefined;
  return {
    [route.response.status]: success(route),
    ...(hasInput ? { 400: error("Invalid input: details.issues names each problem") } : {}),
    ...(role === "public" ? {} : { 401: error("No API key, or an unknown or revoked one") }),
    ...(role === "public" || role === "viewer" ? {} : { 403: error(`The key's role is below ${role}`) }),
    ...(route.path.includes(":") ? { 404: error("No such record") } : {}),
    ...(route.conflicts ? { 409: error("Conflicts with what is stored") } : {}),
    ...(request?.body === undefined ? {} : { 415: error("A body that is not sent as application/json") }),
    ...(role === "public" ? {} : { 429: error("Rate limit of the key exceeded; see Retry-After") }),
    500: error("Unexpected server error"),
  };
}
