// A batch of connector counts reduced to one per station id (as reported): the highest, with when it was reported.
import type { ChargingConnectorCount } from "../../schemas/generated/types.ts";

export interface ReportedCount {
  station_id: string;
  count: number;
  ts: number;
}

export function highestPerStation(records: readonly ChargingConnectorCount[]): ReportedCount[] {
  const best = new Map<string, ReportedCount>();
  for (const r of records) {
    const current = best.get(r.station_id);
    if (current === undefined || r.connectors_count > current.count)
      best.set(r.station_id, { station_id: r.station_id, count: r.connectors_count, ts: r.ts });
  }
  return [...best.values()];
}

/** Why a count cannot be stored, or undefined (the table refuses both). */
export function refuseCount(r: ChargingConnectorCount): string | undefined {
  if (r.station_id === "") return "station_id is empty";
  if (r.connectors_count < 0) return `connectors_count is ${r.connectors_count}, must be >= 0`;
  return undefined;
}
