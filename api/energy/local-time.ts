// Instants shown on a site's clock, and the local dates a range of instants covers. Rollup rows are named by UTC
// instants (hours) and local-date labels (days, written as midnight UTC); these helpers translate for clients.
import { LRUCache } from "lru-cache";
import { DateTime } from "luxon";

export const DAY_MS = 86_400_000;

/** `2025-03-30T03:00:00+02:00`: the instant on the zone's clock, with its offset. */
export const localTime = (t: number, zone: string): string =>
  DateTime.fromMillis(t, { zone }).toISO({ suppressMilliseconds: true }) ?? new Date(t).toISOString();

/** The first local date of `zone` whose day starts at or after `t` (a day starting exactly at `t` included). */
function firstDateStartingFrom(t: number, zone: string): string {
  const start = DateTime.fromMillis(t, { zone }).startOf("day");
  return (start.toMillis() < t ? start.plus({ days: 1 }) : start).toISODate() as string;
}

// Zone arithmetic costs a few Intl calls (about 0.1 ms); dashboards ask for the same few ranges again and again.
const firstDates = new LRUCache<string, string>({ max: 4096 });

const cachedFirstDate = (t: number, zone: string): string => {
  const key = `${t} ${zone}`;
  const kept = firstDates.get(key);
  if (kept !== undefined) return kept;
  const date = firstDateStartingFrom(t, zone);
  firstDates.set(key, date);
  return date;
};

/** The local dates whose day starts in [from, to), as [first, end): end is the first date after them. */
export function datesStartingIn(from: number, to: number, zone: string): { first: string; end: string } {
  return { first: cachedFirstDate(from, zone), end: cachedFirstDate(to, zone) };
}

/** How rollup tables name a local date: its midnight UTC. */
export const dayLabel = (date: string): string => `${date}T00:00:00.000Z`;

/** The date after `date` (YYYY-MM-DD). */
export const nextDate = (date: string): string =>
  new Date(Date.parse(dayLabel(date)) + DAY_MS).toISOString().slice(0, 10);
