// Creates the charging points that connector counts say are missing, all stations in one transaction: either
// every missing point is created or none is. Point ids come from the database's identity column. Stations being
// reconciled are locked, so two runs at once cannot hand out the same point number; the second sees the first's
// points and adds nothing. Counts come from the caller: the command reads charging_connector_counts, the stream
// passes what it consumed.
import type pg from "pg";
import {
  type ConnectorCount,
  highestCounts,
  normaliseStationId,
  planPoints,
  type StationPlan,
  type StationPoints,
} from "./charging-plan.ts";
import { inTransaction } from "./transaction.ts";

export interface ReconcileOptions {
  /** Only this station (with or without dashes), as seed 001's test mode. */
  device?: string;
  /** Report what would be created; write nothing. */
  dryRun?: boolean;
}

export interface ReconciledStation extends StationPlan {
  /** Ids of the created points, in point-number order (none in a dry run). */
  created_ids: string[];
}

export interface ReconcileReport {
  dry_run: boolean;
  stations: ReconciledStation[];
  not_found: string[];
  /** Points created, or that would be in a dry run. */
  created: number;
}

export async function loadConnectorCounts(db: pg.Pool | pg.PoolClient): Promise<ConnectorCount[]> {
  const { rows } = await db.query<ConnectorCount>(
    "SELECT station_id, max(count) AS count FROM charging_connector_counts GROUP BY station_id",
  );
  return rows;
}

async function registeredStations(
  client: pg.PoolClient,
  normalised: string[],
  lock: boolean,
): Promise<StationPoints[]> {
  if (lock)
    await client.query(
      "SELECT id FROM charging_stations WHERE external_id_normalized = ANY($1) ORDER BY id FOR UPDATE",
      [normalised],
    );
  const { rows } = await client.query<StationPoints>(
    `SELECT s.id, s.external_id, s.external_id_normalized AS normalised,
            count(p.id)::int AS points, coalesce(max(p.point_number), 0) AS highest_point
       FROM charging_stations s LEFT JOIN charging_points p ON p.station_id = s.id
      WHERE s.external_id_normalized = ANY($1)
      GROUP BY s.id`,
    [normalised],
  );
  return rows;
}

async function createPoints(client: pg.PoolClient, station: StationPlan): Promise<string[]> {
  const [first] = station.add;
  if (first === undefined) return [];
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO charging_points (station_id, point_number)
     SELECT $1, n FROM generate_series($2::int, $3::int) AS n ORDER BY n
     RETURNING id`,
    [station.station_id, first, first + station.add.length - 1],
  );
  return rows.map((r) => r.id);
}

export async function reconcile(
  pool: pg.Pool,
  counts: readonly ConnectorCount[],
  { device, dryRun = false }: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const only = device === undefined ? undefined : normaliseStationId(device);
  const wanted = highestCounts(counts).filter((c) => only === undefined || c.normalised === only);
  return inTransaction(
    pool,
    async (client) => {
      const stations = await registeredStations(
        client,
        wanted.map((c) => c.normalised),
        !dryRun,
      );
      const plan = planPoints(wanted, stations);
      const reconciled: ReconciledStation[] = [];
      for (const station of plan.stations)
        reconciled.push({ ...station, created_ids: dryRun ? [] : await createPoints(client, station) });
      const created = plan.stations.reduce((n, s) => n + s.add.length, 0);
      return { dry_run: dryRun, stations: reconciled, not_found: plan.not_found, created };
    },
    { commit: !dryRun },
  );
}
