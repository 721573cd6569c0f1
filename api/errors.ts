// Every error leaves the API as {"error": {"code", "message", "details"}}: one shape for clients to handle, with
// the status saying the class of the problem and `code` the case. Postgres errors that input can cause are mapped
// here too, so a constraint the database enforces answers like a check the API made itself.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 426 | 429 | 500 | 503;

export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string | number) =>
  new ApiError(404, "not_found", `no ${what} ${JSON.stringify(id)}`);

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "machine-readable case, e.g. validation_failed, not_found" }),
      message: z.string(),
      details: z
        .unknown()
        .meta({ description: "structured context (validation issues, constraint), or null" }),
    }),
  })
  .meta({ description: "The error envelope every failure uses" });

export function errorResponse(c: Context, err: ApiError): Response {
  return c.json({ error: { code: err.code, message: err.message, details: err.details } }, err.status);
}

/** Hono's onError: the envelope for known errors; for anything else a 500 that tells nothing of the internals. */
export function handleError(err: Error, c: Context): Response {
  const known = err instanceof ApiError ? err : (fromBodyCheck(err) ?? fromPostgres(err));
  if (known !== undefined) return errorResponse(c, known);
  // The request log line carries the error with the request id; the client gets the id to quote.
  return errorResponse(
    c,
    new ApiError(500, "internal", "unexpected error; quote the X-Request-Id when reporting it"),
  );
}

export type Location = "params" | "query" | "body";

/** A 400 naming every problem of one part of the request, each with its path inside the request. */
export function validationError(location: Location, error: z.ZodError): ApiError {
  const issues = error.issues.map((issue) => ({
    path: [location, ...issue.path.map(String)].join("."),
    code: issue.code,
    message: issue.message,
  }));
  return new ApiError(400, "validation_failed", `invalid request ${location}`, { issues });
}

/**
 * The body checks @hono/zod-openapi makes before validating a body throw HTTPExceptions: 415 for a body not sent as
 * JSON, 400 for malformed JSON (the only 400 any middleware here throws that way).
 */
function fromBodyCheck(err: Error): ApiError | undefined {
  if (!(err instanceof HTTPException)) return undefined;
  if (err.status === 415)
    return new ApiError(
      415,
      "unsupported_media_type",
      "send the request body as Content-Type: application/json",
    );
  if (err.status === 400)
    return new ApiError(400, "invalid_json", `the request body is not JSON: ${err.message}`);
  return undefined;
}

interface PgError {
  code: string;
  constraint?: string;
  detail?: string;
  message: string;
}

const isPgError = (err: unknown): err is PgError =>
  err instanceof Error && typeof (err as { code?: unknown }).code === "string" && "severity" in err;

/** The API's reading of a Postgres error caused by the request; undefined for anything else (a 500). */
export function fromPostgres(err: unknown): ApiError | undefined {
  if (!isPgError(err)) return undefined;
  const details = { constraint: err.constraint ?? null, detail: err.detail ?? null };
  switch (err.code) {
    case "23505": // unique_violation
      return new ApiError(409, "conflict", "a record with this key already exists", details);
    case "23503": // foreign_key_violation: a missing target on write, or a row still referenced on delete
      return /still referenced/.test(err.detail ?? "")
        ? new ApiError(409, "conflict", "the record is still referenced", details)
        : new ApiError(400, "invalid_reference", "a referenced record does not exist", {
            ...details,
            detail: err.detail ?? err.message,
          });
    case "23001": // restrict_violation, e.g. cost_versions refusing a change
      return new ApiError(409, "conflict", err.message, details);
    case "23514": // check_violation
    case "23502": // not_null_violation
    case "22P02": // invalid_text_representation
    case "22003": // numeric_value_out_of_range
    case "22007": // invalid_datetime_format
    case "22008": // datetime_field_overflow
    case "22023": // invalid_parameter_value
      return new ApiError(400, "invalid_value", "a value was refused by the registry", {
        ...details,
        detail: err.detail ?? err.message,
      });
    default:
      return undefined;
  }
}
