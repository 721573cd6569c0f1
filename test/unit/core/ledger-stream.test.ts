import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { computeDevice } from "../../../pipelines/core/batch.ts";
import { DEFAULT_ALLOWED_LATENESS_MS } from "../../../pipelines/core/device-stream.ts";
import {
  initialLedgerState,
  type LedgerDeviceState,
  type LedgerStep,
  ledgerFinish,
  ledgerIngest,
  ledgerRebuild,
} from "../../../pipelines/core/ledger-stream.ts";
import type { DayTotal, HourBucket } from "../../../pipelines/core/rollup.ts";
import { arrivalsArb, settingsArb } from "./arbitraries.ts";

const L = DEFAULT_ALLOWED_LATENESS_MS;

/** What a sink that upserts every changed row ends up holding. */
function upserted(steps: LedgerStep[]) {
  const hours = new Map<number, HourBucket>();
  const days = new Map<string, DayTotal>();
  for (const s of steps) {
    for (const h of s.hours) hours.set(h.hour_start, h);
    for (const d of s.days) days.set(d.date, d);
  }
  return {
    hourly: [...hours.values()].sort((a, b) => a.hour_start - b.hour_start),
    daily: [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1)),
  };
}

test("stream upserts end equal to the batch, whatever the cut where state is saved and restored", () => {
  fc.assert(
    fc.property(settingsArb, arrivalsArb(L), fc.nat(), (s, arrivals, cutAt) => {
      const cut = cutAt % (arrivals.length + 1);
      let state: LedgerDeviceState = initialLedgerState;
      const steps: LedgerStep[] = [];
      for (const [i, r] of arrivals.entries()) {
        if (i === cut) state = JSON.parse(JSON.stringify(state)) as LedgerDeviceState;
        const step = ledgerIngest(state, r, s, L);
        state = step.state;
        steps.push(step);
      }
      steps.push(ledgerFinish(state, s));
      const batch = computeDevice(arrivals, s);
      assert.deepEqual(upserted(steps), { hourly: batch.hourly, daily: batch.daily });
    }),
    { numRuns: 300 },
  );
});

test("the state keeps only the hours of dates that can still change", () => {
  fc.assert(
    fc.property(settingsArb, arrivalsArb(L), (s, arrivals) => {
      let state: LedgerDeviceState = initialLedgerState;
      for (const r of arrivals) state = ledgerIngest(state, r, s, L).state;
      const dates = new Set(state.hours.map((h) => new Date(h.hour_start).toISOString().slice(0, 10)));
      assert.ok(dates.size <= 4, `${dates.size} dates kept`);
    }),
    { numRuns: 100 },
  );
});

test("a rebuild from all readings, in the order received, gives the batch's rows", () => {
  fc.assert(
    fc.property(settingsArb, arrivalsArb(L), (s, arrivals) => {
      const rebuilt = ledgerRebuild(arrivals, s, L);
      const finished = ledgerFinish(rebuilt.state, s);
      const batch = computeDevice(arrivals, s);
      assert.deepEqual(upserted([rebuilt, finished]), { hourly: batch.hourly, daily: batch.daily });
    }),
    { numRuns: 200 },
  );
});
