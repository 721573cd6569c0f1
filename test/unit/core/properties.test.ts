// Properties of the energy core over generated traces (fast-check).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DateTime } from "luxon";
import { computeDevice } from "../../../pipelines/core/batch.ts";
import { type DeviceState, initialDeviceState } from "../../../pipelines/core/device-state.ts";
import {
  DEFAULT_ALLOWED_LATENESS_MS,
  type DeviceStreamState,
  finish,
  ingest,
  initialStreamState,
} from "../../../pipelines/core/device-stream.ts";
import { zoneClock } from "../../../pipelines/core/hours.ts";
import type { Output } from "../../../pipelines/core/outputs.ts";
import { flushPending, processInput } from "../../../pipelines/core/process.ts";
import type { Reading } from "../../../pipelines/core/reading.ts";
import { type DeviceInput, isReplacement, orderInputs } from "../../../pipelines/core/replacement.ts";
import { arrivalsArb, monotoneArb, settingsArb, traceArb } from "./arbitraries.ts";
import { close, DEVICE, foldAll, ledgerOf, rollupOf, settings, sum } from "./helpers.ts";

const RUNS = { numRuns: 300 };
const L = DEFAULT_ALLOWED_LATENESS_MS;
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value));

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

test("Σ hourly = Σ ledger deltas", () => {
  fc.assert(
    fc.property(settingsArb, traceArb, (s, readings) => {
      const hourly = sum(computeDevice(readings, s).hourly.map((b) => b.energy_wh));
      const ledger = sum(ledgerOf(foldAll(readings, s)).map((e) => e.delta_wh));
      assert.ok(close(hourly, ledger), `${hourly} ≠ ${ledger}`);
    }),
    RUNS,
  );
});

test("a day is the sum of its hours (by the local date of their start), its resets those of its local date", () => {
  fc.assert(
    fc.property(settingsArb, traceArb, (s, readings) => {
      const clock = zoneClock(s.timezone);
      const result = computeDevice(readings, s);
      const hoursByDate = groupBy(result.hourly, (b) => clock.localDate(b.hour_start));
      const outputs = foldAll(readings, s);
      const resetsByDate = groupBy(
        ledgerOf(outputs).filter((e) => e.classification === "reset"),
        (e) => clock.localDate(e.to),
      );
      const replacementsByDate = groupBy(
        outputs.filter((o) => o.kind === "replacement"),
        (o) => clock.localDate(o.ts),
      );
      const dates = [
        ...new Set([...hoursByDate.keys(), ...resetsByDate.keys(), ...replacementsByDate.keys()]),
      ].sort();
      assert.deepEqual(
        result.daily.map((d) => d.date),
        dates,
      );
      for (const day of result.daily) {
        const hours = hoursByDate.get(day.date) ?? [];
        assert.equal(day.energy_wh, sum(hours.map((b) => b.energy_wh)));
        assert.equal(day.hours, hours.length);
        assert.equal(day.resets, resetsByDate.get(day.date)?.length ?? 0);
        assert.equal(day.replacements, replacementsByDate.get(day.date)?.length ?? 0);
      }
    }),
    RUNS,
  );
});

test("cutting the fold anywhere, serialising the state and resuming changes nothing", () => {
  fc.assert(
    fc.property(settingsArb, traceArb, fc.nat(), (s, readings, cutAt) => {
      const sorted = orderInputs(readings);
      const cut = cutAt % (sorted.length + 1);
      const outputs: Output[] = [];
      let state: DeviceState = initialDeviceState;
      for (const [i, r] of sorted.entries()) {
        if (i === cut) state = roundTrip(state);
        const step = processInput(state, r, s);
        state = step.state;
        outputs.push(...step.outputs);
      }
      outputs.push(...flushPending(roundTrip(state), s).outputs);
      assert.deepEqual(outputs, foldAll(readings, s));
    }),
    RUNS,
  );
});

function streamAll(arrivals: readonly DeviceInput[], s: ReturnType<typeof settings>, cut = -1): Output[] {
  const outputs: Output[] = [];
  let state: DeviceStreamState = initialStreamState;
  for (const [i, r] of arrivals.entries()) {
    if (i === cut) state = roundTrip(state);
    const step = ingest(state, r, s);
    state = step.state;
    outputs.push(...step.outputs);
  }
  outputs.push(...finish(state, s).outputs);
  return outputs;
}

test("out of order within the allowed lateness: reorder buffer + fold = the batch on the same inputs", () => {
  fc.assert(
    fc.property(settingsArb, arrivalsArb(L), fc.nat(), (s, arrivals, cutAt) => {
      const outputs = streamAll(arrivals, s, cutAt % (arrivals.length + 1));
      assert.ok(!outputs.some((o) => o.kind === "late"));
      const batch = computeDevice(arrivals, s);
      assert.deepEqual(ledgerOf(outputs), ledgerOf(foldAll(arrivals, s)));
      assert.deepEqual(rollupOf(outputs, s), { hourly: batch.hourly, daily: batch.daily });
    }),
    RUNS,
  );
});

test("duplicates never change energy", () => {
  fc.assert(
    fc.property(
      settingsArb,
      traceArb,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 1e9 }))),
      (s, readings, copies) => {
        const withCopies = [...readings];
        for (const [i, energy] of copies) {
          const original = readings[i % readings.length] as DeviceInput;
          const at = withCopies.indexOf(original);
          const copy = isReplacement(original)
            ? { ...original, new_initial_wh_total: energy / 1000 }
            : { ...original, energy_wh_total: energy / 1000 };
          withCopies.splice(at + 1 + (energy % 3), 0, copy);
        }
        const energyOf = (rs: DeviceInput[]) => {
          const result = computeDevice(rs, s);
          return {
            hourly: result.hourly.map((b) => [b.hour_start, b.energy_wh]),
            daily: result.daily.map((d) => [d.date, d.energy_wh, d.resets, d.replacements]),
          };
        };
        const duplicates = (rs: DeviceInput[]) => foldAll(rs, s).filter((o) => o.kind === "duplicate").length;
        assert.deepEqual(energyOf(withCopies), energyOf(readings));
        assert.equal(duplicates(withCopies), duplicates(readings) + copies.length);
      },
    ),
    RUNS,
  );
});

/** Readings every 15 minutes from local midnight to the next one, rising by the given amounts. */
function localDay(zone: string, date: DateTime, increments: readonly number[]): Reading[] {
  const from = date.setZone(zone, { keepLocalTime: true }).startOf("day").toMillis();
  const to = date.setZone(zone, { keepLocalTime: true }).startOf("day").plus({ days: 1 }).toMillis();
  const readings: Reading[] = [];
  let energy = 0;
  for (let ts = from, i = 0; ts <= to; ts += 900_000, i++) {
    energy += increments[i % increments.length] as number;
    readings.push({ device_id: DEVICE, ts, energy_wh_total: energy });
  }
  return readings;
}

test("DST: a Europe/Berlin spring-forward day has 23 hour buckets, a fall-back day 25, other days 24", () => {
  const lastSunday = (year: number, month: number) => {
    const end = DateTime.utc(year, month, 1).endOf("month").startOf("day");
    return end.minus({ days: end.weekday % 7 });
  };
  fc.assert(
    fc.property(
      fc.integer({ min: 2000, max: 2037 }),
      fc.integer({ min: 1, max: 28 }),
      fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 10 }),
      (year, plainDay, increments) => {
        const s = settings({ timezone: "Europe/Berlin" });
        for (const [date, hours] of [
          [lastSunday(year, 3), 23],
          [lastSunday(year, 10), 25],
          [DateTime.utc(year, 6, plainDay), 24],
        ] as const) {
          const readings = localDay(s.timezone, date, increments);
          const day = computeDevice(readings, s).daily.find((d) => d.date === date.toISODate());
          assert.equal(day?.hours, hours, `${date.toISODate()}`);
          const first = readings[0] as Reading;
          const last = readings.at(-1) as Reading;
          assert.ok(close(day?.energy_wh ?? Number.NaN, last.energy_wh_total - first.energy_wh_total));
        }
      },
    ),
    { numRuns: 60 },
  );
});

test("Asia/Kolkata buckets start at :30 UTC (and Asia/Kathmandu's at :15)", () => {
  fc.assert(
    fc.property(
      traceArb,
      fc.constantFrom(["Asia/Kolkata", 30], ["Asia/Kathmandu", 15]),
      (readings, [zone, minute]) => {
        for (const b of computeDevice(readings, settings({ timezone: zone })).hourly) {
          assert.equal(b.hour_start % 3_600_000, minute * 60_000);
        }
      },
    ),
    RUNS,
  );
});

test("energy is never negative", () => {
  fc.assert(
    fc.property(settingsArb, traceArb, (s, readings) => {
      const result = computeDevice(readings, s);
      for (const e of ledgerOf(foldAll(readings, s))) assert.ok(e.delta_wh >= 0);
      for (const b of result.hourly) assert.ok(b.energy_wh >= 0, `${b.energy_wh}`);
      for (const d of result.daily) assert.ok(d.energy_wh >= 0);
    }),
    RUNS,
  );
});

test("a monotone trace without resets gives exactly last − first", () => {
  fc.assert(
    fc.property(settingsArb, monotoneArb, (s, readings) => {
      const noJumps = { ...s, max_power_w: null };
      const result = computeDevice(readings, noJumps);
      const expected =
        (readings.at(-1) as Reading).energy_wh_total - (readings[0] as Reading).energy_wh_total;
      assert.ok(close(sum(result.hourly.map((b) => b.energy_wh)), expected));
      assert.ok(close(sum(result.daily.map((d) => d.energy_wh)), expected));
      assert.equal(sum(result.daily.map((d) => d.resets)), 0);
    }),
    RUNS,
  );
});

test("the batch does not depend on the order of the input (distinct ts per kind)", () => {
  const distinct = (rs: DeviceInput[]) =>
    rs.filter((r, i) => rs.findIndex((o) => o.ts === r.ts && isReplacement(o) === isReplacement(r)) === i);
  fc.assert(
    fc.property(
      settingsArb,
      traceArb.chain((rs) => fc.shuffledSubarray(distinct(rs), { minLength: distinct(rs).length })),
      (s, rs) => {
        assert.deepEqual(computeDevice(rs, s), computeDevice(orderInputs(rs), s));
      },
    ),
    RUNS,
  );
});
