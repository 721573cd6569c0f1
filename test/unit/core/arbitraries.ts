// fast-check generators of device settings and meter traces with the faults real meters have.
import fc from "fast-check";
import type { Reading } from "../../../pipelines/core/reading.ts";
import { type DeviceInput, isReplacement } from "../../../pipelines/core/replacement.ts";
import type { DeviceSettings } from "../../../pipelines/core/settings.ts";
import { DEVICE } from "./helpers.ts";

const H = 3_600_000;

export const ZONES = [
  "UTC",
  "Europe/Berlin",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "America/St_Johns",
  "Australia/Lord_Howe",
];

export const settingsArb: fc.Arbitrary<DeviceSettings> = fc.record({
  device_id: fc.constant(DEVICE),
  timezone: fc.constantFrom(...ZONES),
  max_power_w: fc.option(fc.integer({ min: 100, max: 20_000 }), { nil: null }),
  noise_wh: fc.constantFrom(0, 0.5, 1, 5),
  counter_persists_across_boot: fc.boolean(),
  expected_interval_s: fc.constantFrom(10, 60, 300),
});

type StepKind = "inc" | "flat" | "dip" | "reset" | "zero" | "spike" | "reboot" | "swap";

const stepArb = fc.record({
  dt: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 600_000 }) },
    { weight: 3, arbitrary: fc.integer({ min: 600_001, max: 6 * H }) },
    { weight: 1, arbitrary: fc.integer({ min: 6 * H, max: 72 * H }) },
  ),
  kind: fc.constantFrom<StepKind>(
    "inc",
    "inc",
    "inc",
    "inc",
    "inc",
    "flat",
    "dip",
    "reset",
    "zero",
    "spike",
    "reboot",
    "swap",
  ),
  /** mWh */
  amount: fc.integer({ min: 0, max: 2_000_000 }),
});

const start = fc.integer({
  min: Date.parse("2024-01-01T00:00:00Z"),
  max: Date.parse("2026-12-31T00:00:00Z"),
});

/**
 * Readings with strictly increasing ts (increases, flats, dips, resets, one-reading zeros and spikes, reboots) and
 * meter replacements among them: with a final value or without, above or below the counter, a new counter from 0
 * or not, at a reading's ts (every fifth) or between readings, and before the first reading.
 */
export const traceArb: fc.Arbitrary<DeviceInput[]> = fc
  .record({ start, withBoot: fc.boolean(), steps: fc.array(stepArb, { minLength: 1, maxLength: 60 }) })
  .map(({ start, withBoot, steps }) => {
    let ts = start;
    let energy = 1000;
    let boot = 1;
    return steps.map(({ dt, kind, amount }): DeviceInput => {
      if (kind === "swap") {
        // After the last reading; at its instant when dt is a multiple of 5.
        if (dt % 5 !== 0) ts += dt;
        const final = amount % 4 === 0 ? null : energy + (((amount % 3) - 1) * (amount % 7_000)) / 1000;
        energy = amount % 2 === 0 ? 0 : (amount % 90_000) / 1000;
        return {
          kind: "meter_replacement",
          device_id: DEVICE,
          ts,
          old_final_wh_total: final === null ? null : Math.max(0, final),
          new_initial_wh_total: energy,
        };
      }
      ts += dt;
      let value = energy;
      if (kind === "inc") {
        energy += amount / 1000;
        value = energy;
      } else if (kind === "dip") value = Math.max(0, energy - (amount % 3000) / 1000);
      else if (kind === "reset" || kind === "reboot") {
        if (kind === "reboot") boot++;
        energy = (amount % 50_000) / 1000;
        value = energy;
      } else if (kind === "zero") value = 0;
      else if (kind === "spike") value = energy + 1e7;
      const reading: Reading = { device_id: DEVICE, ts, energy_wh_total: value };
      if (withBoot) reading.boot_id = `b${boot}`;
      return reading;
    });
  });

/** A counter that only grows (or stands still), without boot ids. */
export const monotoneArb: fc.Arbitrary<Reading[]> = fc
  .record({
    start,
    first: fc.integer({ min: 0, max: 1_000_000_000 }),
    steps: fc.array(fc.record({ dt: fc.integer({ min: 1, max: 12 * H }), mwh: fc.nat({ max: 5_000_000 }) }), {
      minLength: 1,
      maxLength: 80,
    }),
  })
  .map(({ start, first, steps }) => {
    let ts = start;
    let energy = first / 1000;
    return [
      { device_id: DEVICE, ts, energy_wh_total: energy },
      ...steps.map(({ dt, mwh }) => {
        ts += dt;
        energy += mwh / 1000;
        return { device_id: DEVICE, ts, energy_wh_total: energy };
      }),
    ];
  });

/** An arrival order in which every reading is at most the allowed lateness behind the newest one before it:
 * each arrives at its ts plus a delay of at most L. Some readings are sent twice (the copy later, other energy). */
export const arrivalsArb = (L: number): fc.Arbitrary<DeviceInput[]> =>
  traceArb.chain((readings) =>
    fc
      .tuple(
        fc.array(fc.integer({ min: 0, max: L }), { minLength: readings.length, maxLength: readings.length }),
        fc.array(fc.option(fc.integer({ min: 0, max: L })), {
          minLength: readings.length,
          maxLength: readings.length,
        }),
      )
      .map(([delays, copies]) => {
        const arrivals: Array<{ at: number; order: number; reading: DeviceInput }> = [];
        readings.forEach((r, i) => {
          const delay = delays[i] as number;
          arrivals.push({ at: r.ts + delay, order: 2 * i, reading: r });
          const copy = copies[i];
          if (copy !== null && copy !== undefined) {
            const later = Math.max(delay, copy);
            const other = isReplacement(r) ? { ...r, new_initial_wh_total: 7 } : { ...r, energy_wh_total: 7 };
            arrivals.push({ at: r.ts + later, order: 2 * i + 1, reading: other });
          }
        });
        return arrivals.sort((a, b) => a.at - b.at || a.order - b.order).map((a) => a.reading);
      }),
  );
