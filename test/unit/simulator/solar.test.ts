import assert from "node:assert/strict";
import { test } from "node:test";
import { DateTime } from "luxon";
import { localTime } from "../../../connectors/simulator/clock.ts";
import { createInverter, stepInverter } from "../../../connectors/simulator/inverter.ts";
import { mulberry32 } from "../../../connectors/simulator/rng.ts";
import { solarFraction } from "../../../connectors/simulator/solar.ts";

const BERLIN = { zone: "Europe/Berlin", latitude: 52.5 };
const KOLKATA = { zone: "Asia/Kolkata", latitude: 20 };

/** Epoch ms of a local wall-clock time in a zone. */
const localMs = (zone: string, date: string, hour: number, minute = 0) =>
  DateTime.fromISO(date, { zone }).set({ hour, minute }).toMillis();

/** The curve over one local day, every 5 minutes: local clock hour and fraction. */
function day(site: { zone: string; latitude: number }, date: string) {
  const start = DateTime.fromISO(date, { zone: site.zone }).startOf("day").toMillis();
  const end = DateTime.fromISO(date, { zone: site.zone }).endOf("day").toMillis();
  const points: { hour: number; fraction: number }[] = [];
  for (let ms = start; ms < end; ms += 5 * 60_000) {
    const local = localTime(ms, site.zone);
    points.push({ hour: local.hour, fraction: solarFraction(local, site.latitude) });
  }
  return points;
}

const peakHour = (points: { hour: number; fraction: number }[]) =>
  points.reduce((best, p) => (p.fraction > best.fraction ? p : best)).hour;

test("solar: the curve is 0 at local night, in each device's own zone", () => {
  for (const site of [BERLIN, KOLKATA]) {
    for (const date of ["2025-06-21", "2025-12-21"]) {
      for (const hour of [0, 1, 2, 3, 22, 23]) {
        const local = localTime(localMs(site.zone, date, hour, 30), site.zone);
        assert.equal(solarFraction(local, site.latitude), 0, `${site.zone} ${date} ${hour}:30`);
      }
    }
  }
});

test("solar: the curve peaks around local noon (13:00 on a summer-time clock)", () => {
  assert.ok(Math.abs(peakHour(day(KOLKATA, "2025-06-21")) - 12) <= 0.5);
  assert.ok(Math.abs(peakHour(day(KOLKATA, "2025-12-21")) - 12) <= 0.5);
  assert.ok(Math.abs(peakHour(day(BERLIN, "2025-12-21")) - 12) <= 0.5);
  // Berlin keeps CEST in June: the sun is highest at 13:00 on the clock.
  assert.ok(Math.abs(peakHour(day(BERLIN, "2025-06-21")) - 13) <= 0.5);
});

test("solar: at one instant, one zone's noon is another's night", () => {
  const ms = Date.parse("2025-06-21T06:30:00Z"); // 12:00 in Kolkata, 08:30 in Berlin
  assert.ok(solarFraction(localTime(ms, KOLKATA.zone), KOLKATA.latitude) > 0.8);
  const night = Date.parse("2025-06-21T22:00:00Z"); // 00:00 in Berlin, 03:30 in Kolkata
  assert.equal(solarFraction(localTime(night, BERLIN.zone), BERLIN.latitude), 0);
  assert.equal(solarFraction(localTime(night, KOLKATA.zone), KOLKATA.latitude), 0);
});

test("solar: Berlin's summer days are longer and stronger than its winter days", () => {
  const summer = day(BERLIN, "2025-06-21");
  const winter = day(BERLIN, "2025-12-21");
  const daylight = (points: typeof summer) => points.filter((p) => p.fraction > 0).length * 5;
  assert.ok(daylight(summer) > 15 * 60 && daylight(winter) < 9 * 60);
  assert.ok(Math.max(...summer.map((p) => p.fraction)) > 3 * Math.max(...winter.map((p) => p.fraction)));
});

test("solar: an inverter makes nothing at night and never more than its capacity", () => {
  const rng = mulberry32(7);
  let model = createInverter(rng);
  let daytimeEnergy = 0;
  for (let ms = Date.parse("2025-06-21T00:00:00Z"); ms < Date.parse("2025-06-23T00:00:00Z"); ms += 60_000) {
    const local = localTime(ms, BERLIN.zone);
    const step = stepInverter(model, { local, latitude: BERLIN.latitude, dtS: 60, gridVoltageV: 230 }, rng);
    model = step.model;
    assert.ok(step.sample.powerW >= 0 && step.sample.powerW <= model.capacityW);
    if (solarFraction(local, BERLIN.latitude) === 0) assert.equal(step.sample.powerW, 0);
    else daytimeEnergy += step.sample.energyWh;
  }
  assert.ok(daytimeEnergy > 0);
});
