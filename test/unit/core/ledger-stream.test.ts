import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { computeDevice } from "../../../pipelines/core/batch.ts";
import { DEFAULT_ALLOWED_LATENESS_MS } from "../../../pipelines/core/device-stream.ts";
import {
  type LedgerDeviceState,
  type LedgerRowSet,
  ledgerBatch,
  ledgerFinish,
  ledgerIngest,
  ledgerProvisional,
  ledgerRebuild,
  newLedgerState,
  newTouched,
  takeRows,
} from "../../../pipelines/core/ledger-stream.ts";
import type { Anomaly } from "../../../pipelines/core/outputs.ts";
import type { DayTotal, HourBucket } from "../../../pipelines/core/rollup.ts";
import type { DeviceSettings } from "../../../pipelines/core/settings.ts";
import { arrivalsArb, settingsArb } from "./arbitraries.ts";
import { at, settings } from "./helpers.ts";

const L = DEFAULT_ALLOWED_LATENESS_MS;

/** What a sink that upserts every changed row ends up holding (anomalies by ts and type, retractions applied). */
function upserted(sets: LedgerRowSet[]) {
  const hours = new Map<number, HourBucket>();
  const days = new Map<string, DayTotal>();
  const anomalies = new Map<string, Anomaly>();
  for (const s of sets) {
    for (const h of s.hours) hours.set(h.hour_start, { ...h });
    for (const d of s.days) days.set(d.date, { ...d });
    for (const o of s.outputs) if (o.kind === "anomaly") anomalies.set(`${o.ts}|${o.type}`, o);
    for (const a of s.retracted) anomalies.delete(`${a.ts}|${a.type}`);
  }
  return {
    hourly: [...hours.values()].sort((a, b) => a.hour_start - b.hour_start),
    daily: [...days.values()]
      .filter((d) => d.hours > 0 || d.resets > 0 || d.replacements > 0)
      .sort((a, b) => (a.date < b.date ? -1 : 1)),
    anomalies: [...anomalies.keys()].sort(),
  };
}

function batchOf(readings: Parameters<typeof computeDevice>[0], s: DeviceSettings) {
  const batch = computeDevice(readings, s);
  return {
    hourly: batch.hourly,
    daily: batch.daily,
    // Keyed as the anomalies table is: a jump reading at a swap's instant and a jump final value are one row.
    anomalies: [...new Set(batch.anomalies.map((a) => `${a.ts}|${a.type}`))].sort(),
  };
}

/**
 * Feeds `arrivals` as a stream processor does: batches of `batchSize` readings, one `takeRows` per batch; a
 * checkpoint round trip (JSON, Map as array) at `cut`; a silent-device flush after the batches in `silences`
 * (where the device is silent: nothing older than what it sent arrives later).
 */
function stream(
  s: DeviceSettings,
  arrivals: Parameters<typeof computeDevice>[0],
  batchSize: number,
  cut: number,
  silences: ReadonlySet<number>,
): LedgerRowSet[] {
  let state: LedgerDeviceState = newLedgerState();
  const sets: LedgerRowSet[] = [];
  for (let i = 0, batch = 0; i < arrivals.length; i += batchSize, batch++) {
    if (i >= cut && i - batchSize < cut) state = roundTrip(state);
    const touched = newTouched();
    const outputs = arrivals.slice(i, i + batchSize).flatMap((r) => ledgerIngest(state, r, s, L, touched));
    sets.push({ ...takeRows(state, s, touched), outputs });
    if (silences.has(batch) && silentAfter(arrivals, i + batchSize))
      sets.push(ledgerProvisional(state, s, newTouched()));
  }
  const touched = newTouched();
  const outputs = ledgerFinish(state, s, touched);
  sets.push({ ...takeRows(state, s, touched), outputs });
  return sets;
}

/**
 * A device is silent after `n` arrivals when what comes next is newer than all of them: the processing-time wait
 * releases what it holds for good, so an older reading arriving later is late (recalculated, not folded).
 */
function silentAfter(arrivals: Parameters<typeof computeDevice>[0], n: number): boolean {
  const newest = Math.max(...arrivals.slice(0, n).map((r) => r.ts));
  return arrivals.slice(n).every((r) => r.ts > newest);
}

function roundTrip(state: LedgerDeviceState): LedgerDeviceState {
  const json = JSON.parse(JSON.stringify({ ...state, hours: [...state.hours.values()] })) as Omit<
    LedgerDeviceState,
    "hours"
  > & { hours: HourBucket[] };
  return { ...json, hours: new Map(json.hours.map((h) => [h.hour_start, h])) };
}

test("stream upserts end equal to the batch, whatever the batches and the cut where state is saved and restored", () => {
  fc.assert(
    fc.property(
      settingsArb,
      arrivalsArb(L),
      fc.integer({ min: 1, max: 8 }),
      fc.nat(),
      (s, arrivals, size, cutAt) => {
        const sets = stream(s, arrivals, size, cutAt % (arrivals.length + 1), new Set());
        assert.deepEqual(upserted(sets), batchOf(arrivals, s));
      },
    ),
    { numRuns: 300 },
  );
});

test("silent-device flushes at any points, after any suspect, still end equal to the batch", () => {
  fc.assert(
    fc.property(
      settingsArb,
      arrivalsArb(L),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.nat({ max: 70 })),
      (s, arrivals, size, flushes) => {
        const sets = stream(s, arrivals, size, -1, new Set(flushes));
        assert.deepEqual(upserted(sets), batchOf(arrivals, s));
      },
    ),
    { numRuns: 400 },
  );
});

/** The trace: a 15-minute device whose glitch to 0 is followed by a silence longer than the flush wait. */
function silentGlitch(s: DeviceSettings, values: number[]) {
  const readings = values.map((v, i) =>
    at(`00:${String(i * 15).padStart(2, "0")}`.replace("00:60", "01:00"), v),
  );
  const sets = stream(s, readings, 1, -1, new Set(readings.map((_, i) => i)));
  return { stream: upserted(sets), batch: batchOf(readings, s) };
}

test("a glitch to 0 flushed while its device is silent is corrected by the next reading (300 Wh, not 50,400)", () => {
  const { stream: got, batch } = silentGlitch(settings(), [50_000, 50_100, 0, 50_200, 50_300]);
  assert.deepEqual(got, batch);
  assert.equal(
    got.daily.reduce((sum, d) => sum + d.energy_wh, 0),
    300,
  );
  assert.equal(got.daily[0]?.resets, 0);
});

test("a spike past max power flushed while silent leaves no implausible_jump behind once it proves a glitch", () => {
  const { stream: got, batch } = silentGlitch(
    settings({ max_power_w: 1000 }),
    [50_000, 50_100, 1e7, 50_200, 50_300],
  );
  assert.deepEqual(got, batch);
  assert.deepEqual(got.anomalies, [`${at("00:30", 0).ts}|glitch_dropped`]);
});

test("a flush with no reading after it writes the batch's answer: the suspect applied", () => {
  const s = settings();
  const readings = [at("00:00", 0), at("01:00", 100), at("02:00", 5)];
  const state = newLedgerState();
  const touched = newTouched();
  const outputs = readings.flatMap((r) => ledgerIngest(state, r, s, L, touched));
  const sets = [{ ...takeRows(state, s, touched), outputs }, ledgerProvisional(state, s, newTouched())];
  assert.deepEqual(upserted(sets), batchOf(readings, s));
  assert.notEqual(state.stream.fold.pending, null, "the suspect stays pending");
});

test("the state keeps only the hours of dates that can still change", () => {
  fc.assert(
    fc.property(settingsArb, arrivalsArb(L), (s, arrivals) => {
      const state = newLedgerState();
      for (const r of arrivals) {
        const touched = newTouched();
        ledgerIngest(state, r, s, L, touched);
        takeRows(state, s, touched);
      }
      const dates = new Set([...state.hours.keys()].map((h) => new Date(h).toISOString().slice(0, 10)));
      assert.ok(dates.size <= 4, `${dates.size} dates kept`);
    }),
    { numRuns: 100 },
  );
});

test("a rebuild from all readings, in the order received, then finished, gives the batch's rows", () => {
  fc.assert(
    fc.property(settingsArb, arrivalsArb(L), (s, arrivals) => {
      const rebuilt = ledgerRebuild(arrivals, s, L);
      const touched = newTouched();
      const outputs = ledgerFinish(rebuilt.state, s, touched);
      const sets = [rebuilt, { ...takeRows(rebuilt.state, s, touched), outputs }];
      assert.deepEqual(upserted(sets), batchOf(arrivals, s));
      assert.deepEqual(upserted([ledgerBatch(arrivals, s)]), batchOf(arrivals, s));
    }),
    { numRuns: 200 },
  );
});
