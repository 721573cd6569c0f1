// The one-shot sync (seed 000's resync, and later POST /hopecloud/communication-modules/sync): for each site with a
// HopeCloud plant, fetch its modules and upsert them, one site at a time, a failing site reported and skipped.
import type pg from "pg";
import type { HopeCloudClient } from "../client/client.ts";
import { moduleRecords } from "../records/convert.ts";
import { startJobRun, statusOf } from "./job-run.ts";
import {
  finishReport,
  type SiteReport,
  SiteTally,
  type SyncError,
  type SyncReport,
  type UnknownPlant,
} from "./report.ts";
import { type HopeCloudSite, selectSites } from "./sites.ts";
import { missingModules, writeSiteModules } from "./write-site.ts";

export const SYNC_JOB = "hopecloud.modules.sync";

export interface SyncOptions {
  /** Only these Wattline sites (each must exist and have a hopecloud_plant_id, else it is an error of the report). */
  siteIds?: readonly string[];
}

export async function syncCommunicationModules(
  pool: pg.Pool,
  client: HopeCloudClient,
  options: SyncOptions = {},
): Promise<SyncReport> {
  const startedAt = new Date();
  const finish = await startJobRun(pool, SYNC_JOB);
  try {
    const selection = await selectSites(pool, options.siteIds);
    const errors: SyncError[] = selection.problems.map((p) => ({
      site_id: p.site_id,
      plant_id: null,
      module_id: null,
      stage: "site",
      message: p.message,
    }));
    const perSite: SiteReport[] = [];
    for (const site of selection.sites) perSite.push(await syncSite(pool, client, site));
    // Plants no site names are worth knowing about only when every site was looked at.
    const unknown = options.siteIds === undefined ? await unknownPlants(client, selection.sites, errors) : [];
    const report = finishReport(startedAt, perSite, unknown, errors);
    await finish(statusOf(report), { ...report, site_ids: options.siteIds ?? null });
    return report;
  } catch (e) {
    await finish("failed", { error: (e as Error).message, site_ids: options.siteIds ?? null });
    throw e;
  }
}

async function syncSite(pool: pg.Pool, client: HopeCloudClient, site: HopeCloudSite): Promise<SiteReport> {
  const tally = new SiteTally(site);
  let listing: Awaited<ReturnType<HopeCloudClient["listDivertors"]>>;
  try {
    listing = await client.listDivertors(site.plant_id);
  } catch (e) {
    tally.abort("fetch", (e as Error).message);
    return tally.report;
  }
  const converted = moduleRecords(listing, {
    plantId: site.plant_id,
    zone: site.timezone,
    fetchedAt: Date.now(),
  });
  for (const r of converted.rejected) tally.reject(r.id, r.problems);
  try {
    for (const outcome of await writeSiteModules(pool, site.site_id, converted.records)) tally.add(outcome);
    // A rejected record may be one of the stored modules: only a complete listing proves a module gone.
    if (converted.rejected.length === 0) {
      tally.report.missing = await missingModules(
        pool,
        site.site_id,
        converted.records.map((r) => r.module_id),
      );
    }
  } catch (e) {
    tally.abort("write", (e as Error).message);
  }
  return tally.report;
}

async function unknownPlants(
  client: HopeCloudClient,
  sites: readonly HopeCloudSite[],
  errors: SyncError[],
): Promise<UnknownPlant[]> {
  const known = new Set(sites.map((s) => s.plant_id));
  try {
    const plants = await client.listPlants();
    return plants.records
      .filter((p) => !known.has(p.id))
      .map((p) => ({ plant_id: p.id, plant_name: p.name, modules: null }));
  } catch (e) {
    errors.push({
      site_id: null,
      plant_id: null,
      module_id: null,
      stage: "plants",
      message: (e as Error).message,
    });
    return [];
  }
}
