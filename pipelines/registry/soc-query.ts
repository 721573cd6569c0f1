// SOC of a system or battery array from the SOCs the stream keeps on battery_packs and inverters (soc.ts decides).
import type pg from "pg";
import {
  meanSoc,
  type SocOptions,
  type SocResult,
  type SocSample,
  type SystemSoc,
  systemSoc,
} from "./soc.ts";

type Queryable = pg.Pool | pg.PoolClient;

const samples = async (db: Queryable, sql: string, id: string): Promise<SocSample[]> =>
  (await db.query<SocSample>(sql, [id])).rows;

export async function querySystemSoc(db: Queryable, systemId: string, opts?: SocOptions): Promise<SystemSoc> {
  const packs = await samples(
    db,
    "SELECT soc_pct, soc_observed_at AS observed_at FROM battery_packs WHERE system_id = $1",
    systemId,
  );
  const inverters = await samples(
    db,
    "SELECT soc_pct, soc_observed_at AS observed_at FROM inverters WHERE system_id = $1",
    systemId,
  );
  return systemSoc(packs, inverters, opts);
}

export async function queryBatteryArraySoc(
  db: Queryable,
  batteryArrayId: string,
  opts?: SocOptions,
): Promise<SocResult> {
  const packs = await samples(
    db,
    "SELECT soc_pct, soc_observed_at AS observed_at FROM battery_packs WHERE battery_array_id = $1",
    batteryArrayId,
  );
  return meanSoc(packs, opts);
}
