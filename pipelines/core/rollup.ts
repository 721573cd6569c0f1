// Hourly and daily aggregation as a fold over the fold's outputs. Buckets form a commutative monoid
// (`mergeBucket`), so the stream can keep one accumulator per (device, hour start) and merge deltas into it in
// any grouping, and the batch gets the same numbers by merging everything at once.
import { attribute } from "./attribute.ts";
import { type Confidence, lowestConfidence } from "./confidence.ts";
import type { ZoneClock } from "./hours.ts";
import type { Output } from "./outputs.ts";

export interface HourBucket {
  /** UTC instant at which the local hour starts (epoch ms). */
  hour_start: number;
  energy_wh: number;
  /** Ledger intervals overlapping the hour. Only a bucket with one is reported: events alone count for the day. */
  intervals: number;
  readings: number;
  duplicates: number;
  resets: number;
  /** Meter replacements whose ts falls in the hour: counted apart from resets. */
  replacements: number;
  anomalies: number;
  /** Lowest confidence of the overlapping intervals; `null` without any. */
  confidence: Confidence | null;
}

export interface DayTotal {
  /** Local calendar date, YYYY-MM-DD. */
  date: string;
  energy_wh: number;
  /** Reported hour buckets: 23 or 25 on a full DST-change day. */
  hours: number;
  readings: number;
  duplicates: number;
  resets: number;
  replacements: number;
  anomalies: number;
  confidence: Confidence | null;
}

export function emptyBucket(hour_start: number): HourBucket {
  return bucket(hour_start, 0, 0, null);
}

function bucket(
  hour_start: number,
  energy_wh: number,
  intervals: number,
  confidence: Confidence | null,
  readings = 0,
  duplicates = 0,
  resets = 0,
  anomalies = 0,
  replacements = 0,
): HourBucket {
  return {
    hour_start,
    energy_wh,
    intervals,
    readings,
    duplicates,
    resets,
    replacements,
    anomalies,
    confidence,
  };
}

/** The deltas one output adds to the hour buckets it touches. */
export function bucketDeltas(output: Output, clock: ZoneClock): HourBucket[] {
  switch (output.kind) {
    case "reading":
      return [bucket(clock.bucketOf(output.ts).start, 0, 0, null, 1)];
    case "duplicate":
      return [bucket(clock.bucketOf(output.ts).start, 0, 0, null, 0, 1)];
    case "anomaly":
      return [bucket(clock.bucketOf(output.ts).start, 0, 0, null, 0, 0, 0, 1)];
    case "replacement":
      return [bucket(clock.bucketOf(output.ts).start, 0, 0, null, 0, 0, 0, 0, 1)];
    case "late":
      // Accounted for by the recalculation it triggers, not here.
      return [];
    case "ledger": {
      const deltas: HourBucket[] = [];
      for (const share of attribute(output.from, output.to, output.delta_wh, clock)) {
        deltas.push(bucket(share.hour_start, share.energy_wh, 1, output.confidence));
      }
      // A reset is counted at its reading's ts, which may lie in an hour the interval does not overlap.
      if (output.classification === "reset") {
        deltas.push(bucket(clock.bucketOf(output.to).start, 0, 0, null, 0, 0, 1));
      }
      return deltas;
    }
  }
}

/**
 * Adds one output to the hour buckets in place: the numbers of merging its `bucketDeltas` into them in order (a
 * bucket it creates starts from its first delta, as `mergeBucket` does), without a delta object per output. For
 * accumulators only their caller sees, such as a replay's, which takes millions of outputs.
 */
export function addOutput(buckets: Map<number, HourBucket>, output: Output, clock: ZoneClock): void {
  switch (output.kind) {
    case "reading":
      counts(buckets, clock.bucketOf(output.ts).start).readings++;
      return;
    case "duplicate":
      counts(buckets, clock.bucketOf(output.ts).start).duplicates++;
      return;
    case "anomaly":
      counts(buckets, clock.bucketOf(output.ts).start).anomalies++;
      return;
    case "replacement":
      counts(buckets, clock.bucketOf(output.ts).start).replacements++;
      return;
    case "late":
      return;
    case "ledger": {
      // An interval within one hour is that hour's whole share, as `attribute` has it, without its array.
      const first = output.from < output.to ? clock.bucketOf(output.from) : undefined;
      if (first !== undefined && output.to <= first.end)
        addShare(buckets, first.start, output.delta_wh, output.confidence);
      else
        for (const share of attribute(output.from, output.to, output.delta_wh, clock))
          addShare(buckets, share.hour_start, share.energy_wh, output.confidence);
      if (output.classification === "reset") counts(buckets, clock.bucketOf(output.to).start).resets++;
      return;
    }
  }
}

/** Merges an interval's share of one hour into its bucket. */
function addShare(
  buckets: Map<number, HourBucket>,
  hour_start: number,
  energy_wh: number,
  confidence: Confidence,
): void {
  const into = buckets.get(hour_start);
  if (into === undefined) {
    buckets.set(hour_start, bucket(hour_start, energy_wh, 1, confidence));
  } else {
    into.energy_wh += energy_wh;
    into.intervals += 1;
    into.confidence = lowestConfidence(into.confidence, confidence);
  }
}

/** The bucket at `hour_start`, created empty if there is none yet; for adding counts to. */
function counts(buckets: Map<number, HourBucket>, hour_start: number): HourBucket {
  const b = buckets.get(hour_start);
  if (b === undefined) {
    const created = emptyBucket(hour_start);
    buckets.set(hour_start, created);
    return created;
  }
  // A merged delta adds its 0 Wh too, which turns a −0 (a reset to a counter of −0) into 0: so does this.
  b.energy_wh += 0;
  return b;
}

/** `into` plus `delta`, as a new bucket. */
export function mergeBucket(into: HourBucket | undefined, delta: HourBucket): HourBucket {
  return into === undefined ? delta : addInto({ ...into }, delta);
}

/**
 * Adds `delta` to `target` in place: for an accumulator its caller owns and no one else sees (the batch's buckets
 * of one device), where a new object per reading would only feed the garbage collector.
 */
export function addInto(target: HourBucket, delta: HourBucket): HourBucket {
  target.energy_wh += delta.energy_wh;
  target.intervals += delta.intervals;
  target.readings += delta.readings;
  target.duplicates += delta.duplicates;
  target.resets += delta.resets;
  target.replacements += delta.replacements;
  target.anomalies += delta.anomalies;
  target.confidence = lowestConfidence(target.confidence, delta.confidence);
  return target;
}

export function isReported(bucket: HourBucket): boolean {
  return bucket.intervals > 0;
}

/**
 * Days from hour buckets (each belongs to the local date of its start), in date order. A day is reported when it
 * has a reported hour, a reset or a replacement.
 */
export function rollupDays(buckets: Iterable<HourBucket>, clock: ZoneClock): DayTotal[] {
  const days = new Map<string, DayTotal>();
  for (const b of buckets) {
    const date = clock.localDate(b.hour_start);
    const day = days.get(date) ?? {
      date,
      energy_wh: 0,
      hours: 0,
      readings: 0,
      duplicates: 0,
      resets: 0,
      replacements: 0,
      anomalies: 0,
      confidence: null,
    };
    day.energy_wh += b.energy_wh;
    day.hours += isReported(b) ? 1 : 0;
    day.readings += b.readings;
    day.duplicates += b.duplicates;
    day.resets += b.resets;
    day.replacements += b.replacements;
    day.anomalies += b.anomalies;
    day.confidence = lowestConfidence(day.confidence, b.confidence);
    days.set(date, day);
  }
  return [...days.values()]
    .filter((d) => d.hours > 0 || d.resets > 0 || d.replacements > 0)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
