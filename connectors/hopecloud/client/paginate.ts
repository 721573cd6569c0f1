// Fetches every page of a HopeCloud list. Stops at `total`, at a short or empty page (the list shrank meanwhile),
// and drops a record seen on an earlier page (the list shifted meanwhile).
import type { z } from "zod";
import { type Listing, validateRecords } from "./listing.ts";

export interface RawPage {
  total: number;
  records: unknown[];
}

/** A runaway guard: a cloud that reports ever more pages is a bug, not a plant with 10 million records. */
const MAX_PAGES = 10_000;

export async function fetchAllPages<S extends z.ZodType>(
  fetchPage: (pageIndex: number) => Promise<RawPage>,
  pageSize: number,
  schema: S,
  keyOf: (record: z.output<S>) => string,
): Promise<Listing<z.output<S>>> {
  const out: Listing<z.output<S>> = { records: [], invalid: [] };
  const seen = new Set<string>();
  let received = 0;
  for (let pageIndex = 1; pageIndex <= MAX_PAGES; pageIndex++) {
    const page = await fetchPage(pageIndex);
    received += page.records.length;
    const listing = validateRecords(schema, page.records);
    for (const record of listing.records) {
      const key = keyOf(record);
      if (seen.has(key)) continue;
      seen.add(key);
      out.records.push(record);
    }
    out.invalid.push(...listing.invalid);
    if (page.records.length < pageSize || received >= page.total) return out;
  }
  throw new Error(`more than ${MAX_PAGES} pages`);
}
