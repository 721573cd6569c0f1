import assert from "node:assert/strict";
import { test } from "node:test";
import { zoneClock } from "../../../pipelines/core/hours.ts";
import { ledgerBatch } from "../../../pipelines/core/ledger-stream.ts";
import type { Reading } from "../../../pipelines/core/reading.ts";
import { type DeviceSettings, defaultSettings } from "../../../pipelines/core/settings.ts";
import {
  checkDevice,
  compareDay,
  type DeviceDay,
  dayBounds,
  isDate,
  ledgerDay,
  previousDate,
  sameEnergy,
  silentStretches,
} from "../../../pipelines/jobs/reconcile-check.ts";

const DEV = "dev-r";
const MIN = 60_000;
const H = 3_600_000;
const options = { silentIntervals: 10, now: Date.parse("2030-01-01T00:00:00Z") };

function settings(overrides: Partial<DeviceSettings> = {}): DeviceSettings {
  return { ...defaultSettings(DEV), ...overrides };
}

/** Readings every `stepMin` minutes over [from, to], the counter rising `wh` per reading. */
function series(from: string, to: string, stepMin: number, wh: number, start = 0): Reading[] {
  const readings: Reading[] = [];
  for (let t = Date.parse(from), e = start; t <= Date.parse(to); t += stepMin * MIN, e += wh)
    readings.push({ device_id: DEV, ts: t, energy_wh_total: e });
  return readings;
}

/** What the ledger processor would have stored for these readings (folded, then the end applied), read back. */
function stored(readings: Reading[], s: DeviceSettings, date: string): DeviceDay {
  const result = ledgerBatch(readings, s);
  const outputs = result.outputs;
  const hours = new Map(result.hours.map((h) => [h.hour_start, h]));
  const day = result.days.filter((d) => d.date === date).at(-1);
  return {
    device_id: DEV,
    date,
    timezone: s.timezone,
    expected_interval_s: s.expected_interval_s,
    intervals: outputs.flatMap((o) =>
      o.kind === "ledger"
        ? [
            {
              from: o.from,
              to: o.to,
              delta_wh: o.delta_wh,
              classification: o.classification,
              confidence: o.confidence,
            },
          ]
        : [],
    ),
    hourly: [...hours.values()].map((h) => ({ hour_start: h.hour_start, energy_wh: h.energy_wh })),
    daily: day ? { energy_wh: day.energy_wh, hours: day.hours } : null,
    jumps: outputs.flatMap((o) =>
      o.kind === "anomaly" && o.type === "implausible_jump"
        ? [{ ts: o.ts, energy_wh_total: o.energy_wh_total }]
        : [],
    ),
    readings: readings.map((r) => r.ts),
  };
}

test("sameEnergy: relative 1e-6, absolute 1e-6 Wh near zero", () => {
  assert.ok(sameEnergy(1_000_000, 1_000_000.5));
  assert.ok(!sameEnergy(1_000_000, 1_000_002));
  assert.ok(sameEnergy(0, 1e-7));
  assert.ok(!sameEnergy(0, 1e-5));
});

test("isDate and previousDate: the last whole local day of each zone", () => {
  assert.ok(isDate("2024-02-29"));
  assert.ok(!isDate("2025-02-29"));
  assert.ok(!isDate("2025-1-01"));
  const now = Date.parse("2025-01-02T01:00:00Z");
  assert.equal(previousDate(now, zoneClock("UTC")), "2025-01-01");
  assert.equal(previousDate(now, zoneClock("Asia/Kolkata")), "2025-01-01");
  assert.equal(previousDate(now, zoneClock("America/Los_Angeles")), "2024-12-31");
});

test("dayBounds: local midnights, 23 hours on a spring-forward day, :30 starts in Kolkata", () => {
  const berlin = dayBounds("2025-03-30", zoneClock("Europe/Berlin"));
  assert.equal(new Date(berlin.start).toISOString(), "2025-03-29T23:00:00.000Z");
  assert.equal((berlin.end - berlin.start) / H, 23);
  const kolkata = dayBounds("2025-01-01", zoneClock("Asia/Kolkata"));
  assert.equal(new Date(kolkata.start).toISOString(), "2024-12-31T18:30:00.000Z");
  assert.equal(new Date(kolkata.end).toISOString(), "2025-01-01T18:30:00.000Z");
});

test("ledgerDay: an interval across midnight gives the day only its own share", () => {
  const clock = zoneClock("UTC");
  const interval = {
    from: Date.parse("2025-01-01T23:30:00Z"),
    to: Date.parse("2025-01-02T00:30:00Z"),
    delta_wh: 60,
    classification: "normal",
    confidence: "medium",
  };
  assert.deepEqual(ledgerDay([interval], "2025-01-01", clock), { energy_wh: 30, hours: 1 });
  assert.deepEqual(ledgerDay([interval], "2025-01-02", clock), { energy_wh: 30, hours: 1 });
});

test("compareDay names which side disagrees", () => {
  const a = { energy_wh: 100, hours: 2 };
  assert.deepEqual(compareDay(a, a, a), []);
  assert.deepEqual(compareDay({ energy_wh: 90, hours: 2 }, a, a), ["daily_vs_hourly"]);
  assert.deepEqual(compareDay(a, a, { energy_wh: 100, hours: 3 }), ["hourly_vs_ledger"]);
  assert.deepEqual(compareDay(null, a, a), ["daily_vs_hourly"]);
  assert.deepEqual(compareDay(null, { energy_wh: 0, hours: 0 }, { energy_wh: 0, hours: 0 }), []);
});

test("consistent rows from the core: no ticket, in UTC, Kolkata and across Berlin's DST change", () => {
  for (const [timezone, date, from, to] of [
    ["UTC", "2025-01-01", "2024-12-31T23:47:00Z", "2025-01-02T00:13:00Z"],
    ["Asia/Kolkata", "2025-01-01", "2024-12-31T18:07:00Z", "2025-01-01T18:41:00Z"],
    ["Europe/Berlin", "2025-03-30", "2025-03-29T22:53:00Z", "2025-03-30T22:07:00Z"],
  ] as const) {
    const s = settings({ timezone, expected_interval_s: 300 });
    const day = stored(series(from, to, 7, 3.3), s, date);
    assert.deepEqual(checkDevice(day, options), { mismatch: false, tickets: [] }, timezone);
  }
});

test("a doctored daily row or a missing hour is an energy_mismatch ticket", () => {
  const s = settings({ expected_interval_s: 300 });
  const day = stored(series("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", 5, 10), s, "2025-01-01");
  const doctored = checkDevice({ ...day, daily: { energy_wh: 2000, hours: 24 } }, options);
  assert.equal(doctored.mismatch, true);
  assert.deepEqual(doctored.tickets, [
    {
      device_id: DEV,
      kind: "energy_mismatch",
      dedupe_key: `mismatch:${DEV}:2025-01-01`,
      details: {
        date: "2025-01-01",
        reasons: ["daily_vs_hourly"],
        daily_wh: 2000,
        hourly_wh: 2880,
        ledger_wh: 2880,
        daily_hours: 24,
        hourly_hours: 24,
        ledger_hours: 24,
      },
    },
  ]);
  const missingHour = checkDevice({ ...day, hourly: day.hourly.slice(1) }, options);
  assert.deepEqual(missingHour.tickets[0]?.details.reasons, ["daily_vs_hourly", "hourly_vs_ledger"]);
});

test("a gap over 6 h is a ledger_gap ticket (and a silence); exactly 6 h is not a gap", () => {
  const s = settings({ expected_interval_s: 300 });
  const readings = [
    ...series("2025-01-01T00:00:00Z", "2025-01-01T08:00:00Z", 5, 10),
    ...series("2025-01-01T15:00:00Z", "2025-01-02T00:00:00Z", 5, 10, 2000),
  ];
  const check = checkDevice(stored(readings, s, "2025-01-01"), options);
  assert.equal(check.mismatch, false);
  assert.deepEqual(
    check.tickets.map((t) => t.dedupe_key),
    [`silent:${DEV}:2025-01-01`, `gap:${DEV}:2025-01-01T08:00:00.000Z`],
  );
  const gap = check.tickets[1];
  assert.deepEqual(gap?.details, {
    from: "2025-01-01T08:00:00.000Z",
    to: "2025-01-01T15:00:00.000Z",
    hours: 7,
    delta_wh: 1040,
    classification: "normal",
    confidence: "low",
  });
  const six = [
    ...series("2025-01-01T00:00:00Z", "2025-01-01T08:00:00Z", 5, 10),
    ...series("2025-01-01T14:00:00Z", "2025-01-02T00:00:00Z", 5, 10, 2000),
  ];
  const kinds = checkDevice(stored(six, s, "2025-01-01"), options).tickets.map((t) => t.kind);
  assert.deepEqual(kinds, ["device_silent"]);
});

test("an implausible jump applied on the day is a ticket", () => {
  const s = settings({ expected_interval_s: 300, max_power_w: 1000 });
  const readings = [
    ...series("2025-01-01T00:00:00Z", "2025-01-01T12:00:00Z", 5, 10),
    ...series("2025-01-01T12:05:00Z", "2025-01-02T00:00:00Z", 5, 10, 1e6),
  ];
  const check = checkDevice(stored(readings, s, "2025-01-01"), options);
  assert.equal(check.mismatch, false);
  assert.deepEqual(check.tickets, [
    {
      device_id: DEV,
      kind: "implausible_jump",
      dedupe_key: `jump:${DEV}:2025-01-01T12:05:00.000Z`,
      details: { ts: "2025-01-01T12:05:00.000Z", energy_wh_total: 1e6 },
    },
  ]);
});

test("silentStretches: interior holes, the day's edges, a day without readings", () => {
  const t = (hhmm: string) => Date.parse(`2025-01-01T${hhmm}:00Z`);
  const start = t("00:00");
  const end = Date.parse("2025-01-02T00:00:00Z");
  const every5 = (from: number, to: number) =>
    Array.from({ length: (to - from) / (5 * MIN) + 1 }, (_, i) => from + i * 5 * MIN);
  const readings = [...every5(t("00:00"), t("10:00")), ...every5(t("10:15"), t("23:00"))];
  assert.deepEqual(silentStretches(readings, start, end, 10 * MIN), [
    { from: t("10:00"), to: t("10:15") },
    { from: t("23:00"), to: end },
  ]);
  assert.deepEqual(silentStretches([], start, end, 10 * MIN), [{ from: start, to: end }]);
  assert.deepEqual(silentStretches(readings, start, t("12:00"), 10 * MIN), [
    { from: t("10:00"), to: t("10:15") },
  ]);
});

test("silence is checked only up to now on a day not over yet", () => {
  const s = settings({ expected_interval_s: 60 });
  const readings = series("2025-01-01T00:00:00Z", "2025-01-01T11:59:00Z", 1, 1);
  const day = stored(readings, s, "2025-01-01");
  const noon = Date.parse("2025-01-01T12:00:00Z");
  assert.deepEqual(checkDevice(day, { silentIntervals: 10, now: noon }).tickets, []);
  const evening = checkDevice(day, { silentIntervals: 10, now: Date.parse("2025-01-01T18:00:00Z") });
  assert.deepEqual(evening.tickets[0]?.details.stretches, [
    { from: "2025-01-01T11:59:00.000Z", to: "2025-01-01T18:00:00.000Z", seconds: 21660 },
  ]);
});
