// Writes a sorted batch to Postgres: each plant's modules on the site that names the plant, one transaction per
// site. A plant that no site names is reported, not written. A database failure (not a refused row) is thrown, so
// that the processor does not commit the batch and it is delivered again.
import type pg from "pg";
import type { SortedBatch } from "./batch.ts";
import {
  finishReport,
  type SiteReport,
  SiteTally,
  type SyncError,
  type SyncReport,
  type UnknownPlant,
} from "./report.ts";
import { sitesByPlant } from "./sites.ts";
import { writeSiteModules } from "./write-site.ts";

export async function applyBatch(pool: pg.Pool, batch: SortedBatch, startedAt: Date): Promise<SyncReport> {
  const sites = await sitesByPlant(pool, [...batch.byPlant.keys()]);
  const perSite: SiteReport[] = [];
  const unknown: UnknownPlant[] = [];
  for (const [plantId, records] of batch.byPlant) {
    const site = sites.get(plantId);
    if (!site) {
      unknown.push({
        plant_id: plantId,
        plant_name: records[0]?.plant_name ?? null,
        modules: records.length,
      });
      continue;
    }
    const tally = new SiteTally(site);
    for (const outcome of await writeSiteModules(pool, site.site_id, records)) tally.add(outcome);
    perSite.push(tally.report);
  }
  const errors: SyncError[] = batch.undecodable.map((u) => ({
    site_id: null,
    plant_id: null,
    module_id: u.message.key?.toString() ?? null,
    stage: "validate",
    message: `offset ${u.message.offset}: ${u.reason}: ${u.details}`,
  }));
  return finishReport(startedAt, perSite, unknown, errors);
}
