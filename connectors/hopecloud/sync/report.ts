// The sync report (seed 000's batch result, made exact): counts per site and in total, what changed, and every
// error with where it happened. Invariants: processed = created + updated + unchanged; failed = errors.length.
import type { HopeCloudSite } from "./sites.ts";
import type { ModuleOutcome } from "./write-site.ts";

/** site: a requested site; plants: the cloud's plant list; fetch: a plant's modules; validate: one cloud record; write: the database. */
export type SyncStage = "site" | "plants" | "fetch" | "validate" | "write";

export interface SyncError {
  site_id: string | null;
  plant_id: string | null;
  module_id: string | null;
  stage: SyncStage;
  message: string;
}

export interface ModuleChange {
  module_id: string;
  outcome: "created" | "updated";
  /** The columns an update changed. */
  changed: string[];
}

export interface SiteReport {
  site_id: string;
  plant_id: string;
  /** failed: nothing of the site was written (its modules could not be fetched or the database failed). */
  status: "ok" | "partial" | "failed";
  processed: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  changes: ModuleChange[];
  /** Modules stored for the site that the cloud no longer lists; never deleted. One-shot sync only. */
  missing: string[];
  errors: SyncError[];
}

/** A plant that no site's hopecloud_plant_id names: its modules are not written. */
export interface UnknownPlant {
  plant_id: string;
  plant_name: string | null;
  /** Modules seen for it; null when they were not fetched. */
  modules: number | null;
}

export interface SyncReport {
  processed: number;
  failed: number;
  created: number;
  updated: number;
  unchanged: number;
  per_site: SiteReport[];
  unknown_plants: UnknownPlant[];
  errors: SyncError[];
  started_at: string;
  finished_at: string;
}

export class SiteTally {
  readonly report: SiteReport;

  constructor(private readonly site: Pick<HopeCloudSite, "site_id" | "plant_id">) {
    this.report = {
      site_id: site.site_id,
      plant_id: site.plant_id,
      status: "ok",
      processed: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      failed: 0,
      changes: [],
      missing: [],
      errors: [],
    };
  }

  add(o: ModuleOutcome): void {
    const r = this.report;
    if (o.outcome === "failed") {
      this.#error("write", o.module_id, o.error);
      return;
    }
    r.processed++;
    r[o.outcome]++;
    if (o.outcome !== "unchanged") {
      r.changes.push({
        module_id: o.module_id,
        outcome: o.outcome,
        changed: o.outcome === "updated" ? o.changed : [],
      });
    }
  }

  /** One cloud record that could not be used; the site's other modules go on. */
  reject(moduleId: string | null, message: string): void {
    this.#error("validate", moduleId, message);
  }

  /** The whole site failed: its modules could not be fetched, or the database failed while writing them. */
  abort(stage: "fetch" | "write", message: string): void {
    this.#error(stage, null, message);
    this.report.status = "failed";
  }

  #error(stage: SyncStage, moduleId: string | null, message: string): void {
    const r = this.report;
    r.errors.push({
      site_id: this.site.site_id,
      plant_id: this.site.plant_id,
      module_id: moduleId,
      stage,
      message,
    });
    r.failed++;
    if (r.status === "ok") r.status = "partial";
  }
}

export function finishReport(
  startedAt: Date,
  perSite: SiteReport[],
  unknownPlants: UnknownPlant[],
  otherErrors: SyncError[],
): SyncReport {
  const sum = (pick: (s: SiteReport) => number) => perSite.reduce((n, s) => n + pick(s), 0);
  const errors = [...otherErrors, ...perSite.flatMap((s) => s.errors)];
  return {
    processed: sum((s) => s.processed),
    failed: errors.length,
    created: sum((s) => s.created),
    updated: sum((s) => s.updated),
    unchanged: sum((s) => s.unchanged),
    per_site: perSite,
    unknown_plants: unknownPlants,
    errors,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
  };
}
