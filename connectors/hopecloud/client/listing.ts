// Validates the cloud's records one by one: the valid ones go on, the others are kept with what was wrong, so
// one malformed record costs that record, not the page or the plant.
import type { z } from "zod";
import { HopeCloudError } from "./errors.ts";

export interface InvalidRecord {
  /** The record's id or serial, when it has a readable one. */
  id: string | null;
  raw: unknown;
  problems: string;
}

export interface Listing<T> {
  records: T[];
  invalid: InvalidRecord[];
}

const describeIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join(".") || "(record)"}: ${i.message}`).join("; ");

export function validateRecords<S extends z.ZodType>(schema: S, raws: unknown[]): Listing<z.output<S>> {
  const out: Listing<z.output<S>> = { records: [], invalid: [] };
  for (const raw of raws) {
    const parsed = schema.safeParse(raw);
    if (parsed.success) out.records.push(parsed.data);
    else out.invalid.push({ id: readableId(raw), raw, problems: describeIssues(parsed.error) });
  }
  return out;
}

/** Validates a whole response body; a mismatch is the cloud's fault, reported as an invalid response. */
export function parseData<S extends z.ZodType>(schema: S, data: unknown, request: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new HopeCloudError(
      "invalid_response",
      `${request}: unexpected data: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}

function readableId(raw: unknown): string | null {
  if (raw === null || typeof raw !== "object") return null;
  const { id, sn } = raw as { id?: unknown; sn?: unknown };
  const value = id ?? sn;
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}
