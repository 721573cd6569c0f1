// Which Wattline site a HopeCloud plant belongs to (sites.hopecloud_plant_id), and the site's time zone, in which
// the plant's local times are read.
import type pg from "pg";

export interface HopeCloudSite {
  site_id: string;
  plant_id: string;
  timezone: string;
}

export interface SiteSelection {
  sites: HopeCloudSite[];
  /** Requested site ids that name no site, or a site without a HopeCloud plant. */
  problems: { site_id: string; message: string }[];
}

type Db = pg.Pool | pg.ClientBase;

const SELECT = "SELECT id AS site_id, hopecloud_plant_id AS plant_id, timezone FROM sites";

/** Every site linked to a plant, or only the requested ones (each requested id that is not such a site is a problem). */
export async function selectSites(db: Db, siteIds?: readonly string[]): Promise<SiteSelection> {
  const { rows } = await db.query<HopeCloudSite>(
    `${SELECT} WHERE hopecloud_plant_id IS NOT NULL AND ($1::text[] IS NULL OR id = ANY($1)) ORDER BY id`,
    [siteIds ?? null],
  );
  if (siteIds === undefined) return { sites: rows, problems: [] };
  const found = new Set(rows.map((r) => r.site_id));
  const missing = [...new Set(siteIds)].filter((id) => !found.has(id));
  const existing = await db.query<{ id: string }>("SELECT id FROM sites WHERE id = ANY($1)", [missing]);
  const exists = new Set(existing.rows.map((r) => r.id));
  const problems = missing.map((site_id) => ({
    site_id,
    message: exists.has(site_id) ? "the site has no hopecloud_plant_id" : "no such site",
  }));
  return { sites: rows, problems };
}

export async function sitesByPlant(db: Db, plantIds: readonly string[]): Promise<Map<string, HopeCloudSite>> {
  const { rows } = await db.query<HopeCloudSite>(`${SELECT} WHERE hopecloud_plant_id = ANY($1)`, [plantIds]);
  return new Map(rows.map((r) => [r.plant_id, r]));
}
