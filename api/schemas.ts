// Request and response building blocks shared by the routes. The patterns are the registry's own domains
// (schemas/migrations/0001), checked here first so that bad input is a 400 naming the field, not a database error.
import { IANAZone } from "luxon";
import { z } from "zod";
import { ApiError } from "./errors.ts";

export const RegistryKey = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
    "1–128 letters, digits or _ . : -, starting with a letter or digit",
  );

export const ExternalId = z.string().regex(/^[!-~]{1,200}$/, "1–200 printable ASCII characters, no spaces");

export const Name = z.string().min(1).max(200);
export const Text = z.string().max(2000);

export const Timezone = z
  .string()
  .max(64)
  .refine((name) => IANAZone.isValidZone(name), {
    error: (issue) => `unknown IANA time zone ${JSON.stringify(issue.input)}`,
  })
  .meta({ description: "IANA time zone, e.g. Europe/Berlin", examples: ["Europe/Berlin"] });

/** An instant with its offset (Z or ±hh:mm): a local time without one would be ambiguous. */
export const Timestamp = z.iso.datetime({ offset: true });

export const Latitude = z.number().min(-90).max(90);
export const Longitude = z.number().min(-180).max(180);

export const IdOut = z.number().int().positive();

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;

export const PageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .meta({ description: `page size, 1–${MAX_LIMIT}` }),
  cursor: z.string().max(512).optional().meta({ description: "next_cursor of the previous page" }),
};

export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: "pass as cursor for the next page; null on the last" }),
  });

// Cursors are opaque to clients (base64url JSON of the last sort key), so the sort key can change without a new API.
export function encodeCursor(last: string | number): string {
  return Buffer.from(JSON.stringify([last])).toString("base64url");
}

export function decodeCursor(
  cursor: string | undefined,
  kind: "number" | "string",
): string | number | undefined {
  if (cursor === undefined) return undefined;
  const invalid = new ApiError(400, "validation_failed", "invalid request query", {
    issues: [{ path: "query.cursor", code: "invalid_cursor", message: "not a cursor this list gave out" }],
  });
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid;
  }
  const value = Array.isArray(decoded) && decoded.length === 1 ? decoded[0] : undefined;
  if (kind === "number" ? Number.isSafeInteger(value) : typeof value === "string")
    return value as string | number;
  throw invalid;
}

/** The first `limit` rows (the query asked for one more, to know whether another page follows). */
export function toPage<T>(rows: T[], limit: number, sortKey: (row: T) => string | number) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(sortKey(last)) : null,
  };
}

export const Deleted = z.object({ deleted: z.union([z.number(), z.string()]) });
