import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DateTime } from "luxon";
import { zoneClock } from "../../../pipelines/core/hours.ts";

const H = 3_600_000;
const iso = (t: number) => new Date(t).toISOString();

/** The bucket starts from `from` (inclusive) to `to` (exclusive), walking bucket by bucket. */
function starts(zone: string, from: string, to: string): string[] {
  const clock = zoneClock(zone);
  const out: string[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t = clock.bucketOf(t).end)
    out.push(iso(clock.bucketOf(t).start));
  return out;
}

test("UTC buckets are UTC hours", () => {
  const b = zoneClock("UTC").bucketOf(Date.parse("2025-01-01T10:59:59.999Z"));
  assert.deepEqual([iso(b.start), iso(b.end)], ["2025-01-01T10:00:00.000Z", "2025-01-01T11:00:00.000Z"]);
});

test("Asia/Kolkata (+05:30) buckets start at :30 UTC, Asia/Kathmandu (+05:45) at :15", () => {
  assert.deepEqual(starts("Asia/Kolkata", "2025-01-01T00:00:00Z", "2025-01-01T02:00:00Z"), [
    "2024-12-31T23:30:00.000Z",
    "2025-01-01T00:30:00.000Z",
    "2025-01-01T01:30:00.000Z",
  ]);
  assert.deepEqual(starts("Asia/Kathmandu", "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z"), [
    "2024-12-31T23:15:00.000Z",
    "2025-01-01T00:15:00.000Z",
  ]);
  assert.equal(zoneClock("Asia/Kolkata").localDate(Date.parse("2024-12-31T18:30:00Z")), "2025-01-01");
  assert.equal(zoneClock("Asia/Kolkata").localDate(Date.parse("2024-12-31T18:29:59.999Z")), "2024-12-31");
});

test("Europe/Berlin: the skipped hour has no bucket, the repeated hour has two", () => {
  // 2025-03-30: 02:00 CET becomes 03:00 CEST at 01:00Z.
  assert.deepEqual(starts("Europe/Berlin", "2025-03-29T23:00:00Z", "2025-03-30T03:00:00Z"), [
    "2025-03-29T23:00:00.000Z", // 00:00 CET
    "2025-03-30T00:00:00.000Z", // 01:00 CET
    "2025-03-30T01:00:00.000Z", // 03:00 CEST
    "2025-03-30T02:00:00.000Z", // 04:00 CEST
  ]);
  // 2025-10-26: 03:00 CEST becomes 02:00 CET at 01:00Z; local 02:00–03:00 happens twice.
  assert.deepEqual(starts("Europe/Berlin", "2025-10-25T23:00:00Z", "2025-10-26T03:00:00Z"), [
    "2025-10-25T23:00:00.000Z", // 01:00 CEST
    "2025-10-26T00:00:00.000Z", // 02:00 CEST
    "2025-10-26T01:00:00.000Z", // 02:00 CET
    "2025-10-26T02:00:00.000Z", // 03:00 CET
  ]);
  assert.equal(starts("Europe/Berlin", "2025-03-29T23:00:00Z", "2025-03-30T22:00:00Z").length, 23);
  assert.equal(starts("Europe/Berlin", "2025-10-25T22:00:00Z", "2025-10-26T23:00:00Z").length, 25);
});

test("America/St_Johns (−03:30/−02:30): transitions inside a UTC hour are found to the millisecond", () => {
  const clock = zoneClock("America/St_Johns");
  // 2025-03-09 02:00 NST (05:30Z) becomes 03:00 NDT.
  const change = Date.parse("2025-03-09T05:30:00Z");
  assert.equal(clock.offsetAt(change - 1), -3.5 * H);
  assert.equal(clock.offsetAt(change), -2.5 * H);
  assert.deepEqual(starts("America/St_Johns", "2025-03-09T04:00:00Z", "2025-03-09T07:00:00Z"), [
    "2025-03-09T03:30:00.000Z", // 00:00 NST
    "2025-03-09T04:30:00.000Z", // 01:00 NST
    "2025-03-09T05:30:00.000Z", // 03:00 NDT
    "2025-03-09T06:30:00.000Z", // 04:00 NDT
  ]);
});

test("Australia/Lord_Howe: a half-hour DST change is a bucket boundary", () => {
  // 2025-04-06 02:00 LHDT (+11) becomes 01:30 LHST (+10:30) at 15:00Z: local 01:30–02:00 happens twice.
  assert.deepEqual(starts("Australia/Lord_Howe", "2025-04-05T14:00:00Z", "2025-04-05T16:30:00Z"), [
    "2025-04-05T14:00:00.000Z", // 01:00 LHDT
    "2025-04-05T15:00:00.000Z", // 01:30 LHST, the rest of local hour 01
    "2025-04-05T15:30:00.000Z", // 02:00 LHST
  ]);
  // 2025-10-05 02:00 LHST (+10:30) becomes 02:30 LHDT (+11) at 15:30Z: local hour 02 lasts 30 minutes.
  assert.deepEqual(starts("Australia/Lord_Howe", "2025-10-04T14:30:00Z", "2025-10-04T17:00:00Z"), [
    "2025-10-04T14:30:00.000Z", // 01:00 LHST
    "2025-10-04T15:30:00.000Z", // 02:30 LHDT
    "2025-10-04T16:00:00.000Z", // 03:00 LHDT
  ]);
});

const ZONES = [
  "UTC",
  "Europe/Berlin",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "America/St_Johns",
  "America/New_York",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
];
const instant = fc.integer({
  min: Date.parse("1990-01-01T00:00:00Z"),
  max: Date.parse("2037-12-31T00:00:00Z"),
});

function checkAround(zone: string, t: number) {
  const clock = zoneClock(zone);
  assert.equal(clock.offsetAt(t), DateTime.fromMillis(t, { zone }).offset * 60_000);
  const { start, end } = clock.bucketOf(t);
  assert.ok(start <= t && t < end && end - start <= H);
  assert.equal(clock.bucketOf(end).start, end);
  assert.equal(clock.bucketOf(start - 1).end, start);
  const local = DateTime.fromMillis(start, { zone });
  const onHour = local.minute === 0 && local.second === 0 && local.millisecond === 0;
  assert.ok(onHour || clock.offsetAt(start - 1) !== clock.offsetAt(start), `${zone} ${iso(start)}`);
  assert.equal(clock.localDate(t), DateTime.fromMillis(t, { zone }).toISODate());
}

/** A zone's offset changes in a year, found with luxon (day by day, then to the millisecond). */
function transitions(zone: string, year: number): number[] {
  const offset = (t: number) => DateTime.fromMillis(t, { zone }).offset;
  const found: number[] = [];
  for (let day = Date.UTC(year, 0, 1); day < Date.UTC(year + 1, 0, 1); day += 24 * H) {
    if (offset(day) === offset(day + 24 * H)) continue;
    let lo = day;
    let hi = day + 24 * H;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offset(mid) === offset(lo)) lo = mid;
      else hi = mid;
    }
    found.push(hi);
  }
  return found;
}

test("property: offsets agree with luxon; buckets tile time and each starts a local hour or at a transition", () => {
  fc.assert(
    fc.property(fc.constantFrom(...ZONES), instant, (zone, t) => checkAround(zone, t)),
    { numRuns: 2000 },
  );
});

test("property: the same around every DST transition", () => {
  const near = ZONES.slice(1).flatMap((zone) =>
    [1995, 2011, 2025, 2030].flatMap((year) => transitions(zone, year).map((t) => ({ zone, t }))),
  );
  assert.ok(near.length >= 40);
  fc.assert(
    fc.property(fc.constantFrom(...near), fc.integer({ min: -3 * H, max: 3 * H }), ({ zone, t }, d) =>
      checkAround(zone, t + d),
    ),
    { numRuns: 3000 },
  );
});
