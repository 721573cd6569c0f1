// The plants one poll visits, each with the time zone its local times are read in: the zone of the Wattline site
// that names the plant, else the zone the cloud reports, else UTC. Without site ids, every plant the cloud lists
// is polled, so that the processor can report plants no site names yet.
import type pg from "pg";
import type { HopeCloudClient } from "../client/client.ts";
import type { InvalidRecord } from "../client/listing.ts";
import { isKnownZone } from "../records/local-time.ts";
import { selectSites, sitesByPlant } from "../sync/sites.ts";

export interface PollTarget {
  plant_id: string;
  site_id: string | null;
  zone: string;
}

export interface Targets {
  targets: PollTarget[];
  /** Requested sites that cannot be polled, and plants whose zone had to be guessed. */
  problems: string[];
  /** Plant records of the cloud that failed validation. */
  rejected: InvalidRecord[];
}

export async function pollTargets(
  pool: pg.Pool,
  client: HopeCloudClient,
  siteIds?: readonly string[],
): Promise<Targets> {
  if (siteIds !== undefined) {
    const selection = await selectSites(pool, siteIds);
    return {
      targets: selection.sites.map((s) => ({ plant_id: s.plant_id, site_id: s.site_id, zone: s.timezone })),
      problems: selection.problems.map((p) => `site ${p.site_id}: ${p.message}`),
      rejected: [],
    };
  }
  const plants = await client.listPlants();
  const sites = await sitesByPlant(
    pool,
    plants.records.map((p) => p.id),
  );
  const problems: string[] = [];
  const targets = plants.records.map((p): PollTarget => {
    const site = sites.get(p.id);
    if (site) return { plant_id: p.id, site_id: site.site_id, zone: site.timezone };
    if (isKnownZone(p.timeZone)) return { plant_id: p.id, site_id: null, zone: p.timeZone };
    problems.push(
      `plant ${p.id}: no site names it and the cloud reports no known time zone; reading its times as UTC`,
    );
    return { plant_id: p.id, site_id: null, zone: "UTC" };
  });
  return { targets, problems, rejected: plants.invalid };
}
