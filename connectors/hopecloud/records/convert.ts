// Validated cloud records → Wattline records, one by one: a record that cannot be converted (an impossible local
// time, a module naming another plant) is rejected with its reason, and the others go on. The connector and the
// one-shot sync both convert here, so both paths write the same rows.
import type { HopeCloudModule, TelemetryReading } from "../../../schemas/generated/types.ts";
import type { Divertor, Realtime } from "../api/shapes.ts";
import type { InvalidRecord, Listing } from "../client/listing.ts";
import { type RecordContext, toModuleRecord } from "./module-record.ts";
import { toReading } from "./reading-record.ts";

export interface Converted<T> {
  records: T[];
  rejected: InvalidRecord[];
}

function convert<A, B>(listing: Listing<A>, idOf: (a: A) => string, to: (a: A) => B): Converted<B> {
  const out: Converted<B> = { records: [], rejected: [...listing.invalid] };
  for (const item of listing.records) {
    try {
      out.records.push(to(item));
    } catch (e) {
      out.rejected.push({ id: idOf(item), raw: item, problems: (e as Error).message });
    }
  }
  return out;
}

export const moduleRecords = (listing: Listing<Divertor>, ctx: RecordContext): Converted<HopeCloudModule> =>
  convert(
    listing,
    (d) => d.id,
    (d) => toModuleRecord(d, ctx),
  );

export const readingRecords = (
  listing: Listing<Realtime>,
  zone: string,
  receivedAt: number,
): Converted<TelemetryReading> =>
  convert(
    listing,
    (r) => r.sn,
    (r) => toReading(r, zone, receivedAt),
  );
