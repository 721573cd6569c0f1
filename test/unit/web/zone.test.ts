// The web app's pure parts: local dates of a zone as instants (as luxon computes them), across DST changes both
// ways and in zones east and west of UTC; the live feed's retry delays.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DateTime } from "luxon";
import { retryDelayMs } from "../../../web/src/backoff.ts";
import { addDays, localDate, startOfDay } from "../../../web/src/zone.ts";

const ZONES = [
  "Europe/Berlin",
  "America/New_York",
  "Asia/Kolkata",
  "Australia/Sydney",
  "America/Sao_Paulo",
  "UTC",
];

test("a local date starts where luxon says, every day of 2025 in zones on both sides of UTC", () => {
  for (const zone of ZONES) {
    for (let date = "2025-01-01"; date < "2026-01-01"; date = addDays(date, 1)) {
      const expected = DateTime.fromISO(date, { zone }).startOf("day").toMillis();
      assert.equal(startOfDay(date, zone), expected, `${date} in ${zone}`);
      assert.equal(localDate(expected, zone), date);
    }
  }
});

test("Berlin's DST days are 23 and 25 hours long", () => {
  const hours = (date: string) =>
    (startOfDay(addDays(date, 1), "Europe/Berlin") - startOfDay(date, "Europe/Berlin")) / 3_600_000;
  assert.deepEqual([hours("2025-03-30"), hours("2025-10-26"), hours("2025-06-01")], [23, 25, 24]);
});

test("retries wait 1, 2, 4, 8 s, then at most 15 s, each within ±25 %", () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10].map((n) => retryDelayMs(n, 0.5)),
    [1000, 2000, 4000, 8000, 15_000, 15_000],
  );
  assert.equal(retryDelayMs(0, 0), 750);
  assert.equal(retryDelayMs(10, 1), 18_750);
});
