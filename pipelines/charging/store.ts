// charging_connector_counts as the charging processor keeps it: a row only when a station reports more connectors
// than ever before, so the table holds each station's rising counts (its maximum is what reconcile uses) instead of
// every repeated report. A replayed batch inserts nothing new.
import type pg from "pg";
import type { ConnectorCount } from "../registry/charging-plan.ts";
import type { ReportedCount } from "./counts.ts";

export async function keepHighest(pool: pg.Pool, counts: readonly ReportedCount[]): Promise<number> {
  if (counts.length === 0) return 0;
  const { rowCount } = await pool.query(
    `INSERT INTO charging_connector_counts (station_id, count, observed_at)
     SELECT b.station_id, b.count, b.observed_at
       FROM unnest($1::text[], $2::int[], $3::timestamptz[]) AS b(station_id, count, observed_at)
      WHERE b.count > coalesce(
              (SELECT max(c.count) FROM charging_connector_counts c WHERE c.station_id = b.station_id), -1)`,
    [
      counts.map((c) => c.station_id),
      counts.map((c) => c.count),
      counts.map((c) => new Date(c.ts).toISOString()),
    ],
  );
  return rowCount ?? 0;
}

/** The highest count ever kept for each of these station ids. */
export async function storedHighest(pool: pg.Pool, stationIds: readonly string[]): Promise<ConnectorCount[]> {
  const { rows } = await pool.query<ConnectorCount>(
    `SELECT station_id, max(count) AS count FROM charging_connector_counts
      WHERE station_id = ANY($1) GROUP BY station_id`,
    [stationIds],
  );
  return rows;
}
