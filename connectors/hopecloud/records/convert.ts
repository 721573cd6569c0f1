// Validated cloud records → Wattline records, one by one: a record that cannot be converted (an impossible local
// time, a module naming another plant) is rejected with its reason, and the others go on. The connector and the
// one-shot sync both convert here, so both paths write the same rows. A reading whose data timestamp is implausible
// (before 2000, or more than the configured bound after the poll) is rejected as `ts_out_of_range`.
import { TS_OUT_OF_RANGE, tsOutOfRange } from "../../../pipelines/core/ts-range.ts";
import type { HopeCloudModule, TelemetryReading } from "../../../schemas/generated/types.ts";
import type { Divertor, Realtime } from "../api/shapes.ts";
import type { InvalidRecord, Listing } from "../client/listing.ts";
import { type RecordContext, toModuleRecord } from "./module-record.ts";
import { toReading } from "./reading-record.ts";

/** A record that was not converted: what was wrong, and the dead-letter reason when it is not `invalid_record`. */
export interface Rejected extends InvalidRecord {
  reason?: string;
}

export interface Converted<T> {
  records: T[];
  rejected: Rejected[];
}

/** Thrown by a conversion to reject a record with a reason of its own. */
class Refused extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function convert<A, B>(listing: Listing<A>, idOf: (a: A) => string, to: (a: A) => B): Converted<B> {
  const out: Converted<B> = { records: [], rejected: [...listing.invalid] };
  for (const item of listing.records) {
    try {
      out.records.push(to(item));
    } catch (e) {
      const rejected: Rejected = { id: idOf(item), raw: item, problems: (e as Error).message };
      if (e instanceof Refused) rejected.reason = e.reason;
      out.rejected.push(rejected);
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
  maxFutureMs: number,
): Converted<TelemetryReading> =>
  convert(
    listing,
    (r) => r.sn,
    (r) => {
      const reading = toReading(r, zone, receivedAt);
      const implausible = tsOutOfRange(reading.ts, receivedAt, maxFutureMs);
      if (implausible !== undefined) throw new Refused(TS_OUT_OF_RANGE, implausible);
      return reading;
    },
  );
