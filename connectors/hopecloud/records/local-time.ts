// HopeCloud writes times as local wall-clock strings ("2025-06-19 14:46:00") without an offset; only the plant's
// time zone makes them instants. Luxon resolves a time in a DST gap forwards and a repeated hour to its first
// occurrence.
import { DateTime, IANAZone } from "luxon";

const FORMAT = "yyyy-MM-dd HH:mm:ss";

export function localTimeToMs(text: string, zone: string): number {
  const t = DateTime.fromFormat(text, FORMAT, { zone });
  if (!t.isValid) throw new RangeError(`not a ${FORMAT} time in ${zone}: ${text} (${t.invalidExplanation})`);
  return t.toMillis();
}

export function optionalLocalTimeToMs(text: string | null, zone: string): number | null {
  return text === null ? null : localTimeToMs(text, zone);
}

export function msToLocalTime(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat(FORMAT);
}

export const isKnownZone = (zone: string | null | undefined): zone is string =>
  typeof zone === "string" && IANAZone.isValidZone(zone);
