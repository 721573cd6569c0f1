// Local dates of an IANA zone as instants, with the browser's Intl data: the energy routes take instants, and a
// day in the site's zone starts at its local midnight (a DST day is 23 or 25 hours long).
const parts = (zone: string, at: number) => {
  const fields = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(fields.find((p) => p.type === type)?.value);
  return {
    y: get("year"),
    m: get("month"),
    d: get("day"),
    h: get("hour"),
    min: get("minute"),
    s: get("second"),
  };
};

/** The zone's offset from UTC at an instant, in ms. */
function offsetMs(zone: string, at: number): number {
  const p = parts(zone, at);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s) - Math.floor(at / 1000) * 1000;
}

/** The instant a local date (YYYY-MM-DD) starts in the zone. */
export function startOfDay(date: string, zone: string): number {
  const [y = 1970, m = 1, d = 1] = date.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d);
  // Twice: the offset at the guess may differ from the offset at the answer when a transition lies between.
  return wall - offsetMs(zone, wall - offsetMs(zone, wall));
}

/** The zone's local date of an instant. */
export function localDate(at: number, zone: string): string {
  const p = parts(zone, at);
  return `${p.y}-${String(p.m).padStart(2, "0")}-${String(p.d).padStart(2, "0")}`;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
