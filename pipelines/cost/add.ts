// Adding a cost version: the insert, then the re-pricing of what it now prices. The version is stored first: if
// re-pricing fails half-way, the version stands and a replay of the affected range prices the rest.
import type { Config } from "../../ground/config.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { questdbPool, questdbSender } from "../../ground/questdb.ts";
import { ensureLedgerTables } from "../../schemas/questdb/ledger.ts";
import { type Repriced, reprice } from "./reprice.ts";
import {
  type CostVersionInput,
  checkInput,
  insertVersion,
  loadVersions,
  type StoredCostVersion,
  toCostVersion,
} from "./versions.ts";

export interface AddedCostVersion {
  version: StoredCostVersion;
  repriced: Repriced;
}

/** Throws CostInputError on invalid input or an unknown site or device. */
export async function addCostVersion(config: Config, input: CostVersionInput): Promise<AddedCostVersion> {
  const checked = checkInput(input);
  const pool = postgresPool(config, 2);
  const questdb = questdbPool(config, 2);
  try {
    await ensureLedgerTables(questdb);
    const version = await insertVersion(pool, checked);
    const stored = await loadVersions(pool);
    const versions = stored.map(toCostVersion);
    const added = versions[stored.findIndex((v) => v.id === version.id)];
    if (!added) throw new Error(`cost version ${version.id} not found after its insert`);
    const { rows } = await pool.query<{ device_id: string; site_id: string }>(
      "SELECT device_id, site_id FROM devices",
    );
    const sites = new Map(rows.map((r) => [r.device_id, r.site_id]));
    const sender = await questdbSender(config);
    try {
      return { version, repriced: await reprice(questdb, sender, sites, versions, added) };
    } finally {
      await sender.close();
    }
  } finally {
    await Promise.all([pool.end(), questdb.end()]);
  }
}
