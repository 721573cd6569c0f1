// The local wall clock of a device's site. Devices ask for it on every reading, so a zone's offset is looked up
// once per UTC hour (offsets change only at hour or half-hour boundaries) instead of building a DateTime each time.
import { DateTime } from "luxon";

export interface LocalTime {
  /** Local clock hour with fraction, 0 ≤ hour < 24. */
  hour: number;
  /** Local standard-time hour (daylight saving removed): where the sun is, give or take longitude. */
  solarHour: number;
  /** 1 = Monday … 7 = Sunday. */
  weekday: number;
  /** Day of the local year, 1 = 1 January. */
  dayOfYear: number;
}

const HOUR_MS = 3_600_000;
const offsets = new Map<string, { offsetMin: number; dstMin: number }>();

function offsetAt(ms: number, zone: string): { offsetMin: number; dstMin: number } {
  const key = `${zone}@${Math.floor(ms / HOUR_MS)}`;
  let found = offsets.get(key);
  if (!found) {
    const dt = DateTime.fromMillis(Math.floor(ms / HOUR_MS) * HOUR_MS, { zone });
    if (!dt.isValid) throw new Error(`unknown time zone ${zone}`);
    // Half-hour transitions (e.g. Lord Howe) are rare enough to take from the start of the UTC hour.
    found = { offsetMin: dt.offset, dstMin: dt.isInDST ? dt.offset - standardOffset(dt) : 0 };
    if (offsets.size > 100_000) offsets.clear();
    offsets.set(key, found);
  }
  return found;
}

/** The zone's offset outside daylight saving: the smaller of its January and July offsets. */
function standardOffset(dt: DateTime): number {
  const jan = dt.set({ month: 1, day: 1 }).offset;
  const jul = dt.set({ month: 7, day: 1 }).offset;
  return Math.min(jan, jul);
}

export function localTime(ms: number, zone: string): LocalTime {
  const { offsetMin, dstMin } = offsetAt(ms, zone);
  const local = new Date(ms + offsetMin * 60_000);
  const hour = local.getUTCHours() + local.getUTCMinutes() / 60 + local.getUTCSeconds() / 3600;
  const yearStart = Date.UTC(local.getUTCFullYear(), 0, 1);
  return {
    hour,
    solarHour: (hour - dstMin / 60 + 24) % 24,
    weekday: ((local.getUTCDay() + 6) % 7) + 1,
    dayOfYear: Math.floor((local.getTime() - yearStart) / 86_400_000) + 1,
  };
}
