// Which charging points are missing (seed 001), decided from connector counts and what the registry holds.
// A station that reports several counts gets the highest: it has at least as many connectors as it ever said.
// Points are only ever added, numbered on after the station's highest point number.

export interface ConnectorCount {
  /** As the station reported it, with or without dashes. */
  station_id: string;
  count: number;
}

/** Stations report ids with and without dashes; both match this form (charging_stations.external_id_normalized). */
export const normaliseStationId = (id: string): string => id.replaceAll("-", "");

export interface StationCount {
  reported_id: string;
  normalised: string;
  count: number;
}

/** One count per station (ids compared without dashes): the highest, in order of the normalised id. */
export function highestCounts(counts: readonly ConnectorCount[]): StationCount[] {
  const best = new Map<string, StationCount>();
  for (const { station_id, count } of counts) {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`connector count of ${station_id} must be an integer >= 0, got ${count}`);
    const normalised = normaliseStationId(station_id);
    const current = best.get(normalised);
    if (current === undefined || count > current.count)
      best.set(normalised, { reported_id: station_id, normalised, count });
  }
  return [...best.values()].sort((a, b) =>
    a.normalised < b.normalised ? -1 : a.normalised > b.normalised ? 1 : 0,
  );
}

/** A registered station and its points. */
export interface StationPoints {
  id: string;
  external_id: string;
  normalised: string;
  points: number;
  highest_point: number;
}

export interface StationPlan {
  reported_id: string;
  station_id: string;
  external_id: string;
  count: number;
  existing: number;
  /** Point numbers to create. */
  add: number[];
}

export interface ReconcilePlan {
  stations: StationPlan[];
  /** Reported ids that match no registered station. */
  not_found: string[];
}

export function planPoints(
  counts: readonly StationCount[],
  stations: readonly StationPoints[],
): ReconcilePlan {
  const registered = new Map(stations.map((s) => [s.normalised, s]));
  const plan: ReconcilePlan = { stations: [], not_found: [] };
  for (const c of counts) {
    const station = registered.get(c.normalised);
    if (station === undefined) {
      plan.not_found.push(c.reported_id);
      continue;
    }
    const missing = Math.max(0, c.count - station.points);
    plan.stations.push({
      reported_id: c.reported_id,
      station_id: station.id,
      external_id: station.external_id,
      count: c.count,
      existing: station.points,
      add: Array.from({ length: missing }, (_, i) => station.highest_point + 1 + i),
    });
  }
  return plan;
}
