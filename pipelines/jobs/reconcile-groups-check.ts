// The reconciliation's pure check of the group rows: each stored group row (a bucket of a site, system, inverter
// array, generation or not, and currency) against the sum of its devices' rows computed now. A row on one side only, or a figure that
// differs, is a group_mismatch ticket.
import { sameEnergy, type Ticket } from "./reconcile-check.ts";

/** One group row: stored (the views), or summed from the device rows. */
export interface GroupFigures {
  /** Epoch µs of the bucket: an hour's start, or a local date's UTC midnight. */
  t: string;
  site_id: string | null;
  system_id: string | null;
  array_id: string | null;
  generation: boolean;
  currency: string | null;
  energy_wh: number | null;
  cost: number | null;
  low: string;
  medium: string;
  high: string;
  devices: string;
}

const COUNTS = ["low", "medium", "high", "devices"] as const;

const key = (r: GroupFigures) =>
  [r.t, r.site_id, r.system_id, r.array_id, r.generation ? "generation" : "other", r.currency].join("|");

const sameAmount = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : sameEnergy(a, b);

function same(a: GroupFigures, b: GroupFigures): boolean {
  return (
    sameAmount(a.energy_wh, b.energy_wh) &&
    sameAmount(a.cost, b.cost) &&
    COUNTS.every((c) => Number(a[c]) === Number(b[c]))
  );
}

const figures = (r: GroupFigures | undefined) =>
  r
    ? {
        energy_wh: r.energy_wh,
        cost: r.cost,
        devices: Number(r.devices),
        ...Object.fromEntries(COUNTS.slice(0, 3).map((c) => [c, Number(r[c])])),
      }
    : null;

/** Tickets for the group rows of `date` (hourly or daily) that differ from the sums of their device rows. */
export function checkGroups(
  date: string,
  granularity: "hourly" | "daily",
  stored: readonly GroupFigures[],
  expected: readonly GroupFigures[],
): Ticket[] {
  const want = new Map(expected.map((r) => [key(r), r]));
  const have = new Map(stored.map((r) => [key(r), r]));
  const tickets: Ticket[] = [];
  for (const k of new Set([...want.keys(), ...have.keys()])) {
    const [s, e] = [have.get(k), want.get(k)];
    if (s && e && same(s, e)) continue;
    const r = (s ?? e) as GroupFigures;
    tickets.push({
      device_id: null,
      kind: "group_mismatch",
      dedupe_key: `group_mismatch:${granularity}:${k}`,
      details: {
        date,
        granularity,
        bucket: new Date(Number(BigInt(r.t) / 1000n)).toISOString(),
        site_id: r.site_id,
        system_id: r.system_id === null ? null : Number(r.system_id),
        array_id: r.array_id === null ? null : Number(r.array_id),
        generation: r.generation,
        currency: r.currency,
        stored: figures(s),
        devices_sum: figures(e),
      },
    });
  }
  return tickets;
}
