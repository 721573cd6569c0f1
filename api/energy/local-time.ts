// Instants shown on a site's clock, and the local dates a range of instants covers. Rollup rows are named by UTC
// instants (hours) and local-date labels (days, written as midnight UTC); these helpers translate for clients.
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

/** The local dates whose day starts in [from, to), as [first, end): end is the first date after them. */
export function datesStartingIn(from: number, to: number, zone: string): { first: string; end: string } {
  return { first: firstDateStartingFrom(from, zone), end: firstDateStartingFrom(to, zone) };
}

/** How rollup tables name a local date: its midnight UTC. */
export const dayLabel = (date: string): string => `${date}T00:00:00.000Z`;

/** The date after `date` (YYYY-MM-DD). */
export const nextDate = (date: string): string =>
  new Date(Date.parse(dayLabel(date)) + DAY_MS).toISOString().slice(0, 10);
