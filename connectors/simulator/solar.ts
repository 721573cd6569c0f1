// The clear-sky solar curve: what fraction of its rated power a panel makes at a local time and latitude.
// Solar noon is taken as 12:00 local standard time (longitude within the zone is ignored).
import type { LocalTime } from "./clock.ts";

const RAD = Math.PI / 180;

/** Sine of the sun's elevation; negative when the sun is below the horizon. */
export function sunElevationSine(local: LocalTime, latitudeDeg: number): number {
  const declination = 23.44 * RAD * Math.sin((2 * Math.PI * (284 + local.dayOfYear)) / 365);
  const hourAngle = 15 * RAD * (local.solarHour - 12);
  const lat = latitudeDeg * RAD;
  return Math.sin(lat) * Math.sin(declination) + Math.cos(lat) * Math.cos(declination) * Math.cos(hourAngle);
}

/** 0 at night, about 1 with the sun overhead; the exponent stands in for the thicker air of a low sun. */
export function solarFraction(local: LocalTime, latitudeDeg: number): number {
  const s = sunElevationSine(local, latitudeDeg);
  return s <= 0 ? 0 : s ** 1.15;
}
