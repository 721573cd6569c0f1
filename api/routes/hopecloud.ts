// The one-shot HopeCloud module sync over HTTP (seed 000's resync): every site with a plant, or the sites named,
// synced one at a time, a failing site reported and skipped. Answers with the sync's report when it is done; the
// sync records itself in job_runs. A key scoped to sites syncs its own sites (all of them when it names none).
import type pg from "pg";
import { z } from "zod";
import type { HopeCloudClient } from "../../connectors/hopecloud/client/client.ts";
import { syncCommunicationModules } from "../../connectors/hopecloud/sync/one-shot.ts";
import { ConfigError } from "../../ground/config.ts";
import { outsideScope, siteScope } from "../auth/scope.ts";
import { ApiError, notFound } from "../errors.ts";
import { defineRoute } from "../openapi/route.ts";
import { RegistryKey, Timestamp } from "../schemas.ts";

const SyncError = z.object({
  site_id: z.string().nullable(),
  plant_id: z.string().nullable(),
  module_id: z.string().nullable(),
  stage: z.enum(["site", "plants", "fetch", "validate", "write"]),
  message: z.string(),
});

const Counts = {
  processed: z.number().int(),
  failed: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
};

const SyncReport = z.object({
  ...Counts,
  per_site: z.array(
    z.object({
      site_id: z.string(),
      plant_id: z.string(),
      status: z.enum(["ok", "partial", "failed"]),
      ...Counts,
      changes: z.array(
        z.object({
          module_id: z.string(),
          outcome: z.enum(["created", "updated"]),
          changed: z.array(z.string()),
        }),
      ),
      missing: z.array(z.string()).meta({ description: "stored modules the cloud no longer lists; kept" }),
      errors: z.array(SyncError),
    }),
  ),
  unknown_plants: z.array(
    z.object({
      plant_id: z.string(),
      plant_name: z.string().nullable(),
      modules: z.number().int().nullable(),
    }),
  ),
  errors: z.array(SyncError),
  started_at: Timestamp,
  finished_at: Timestamp,
});

const Body = z
  .strictObject({
    site_ids: z.array(RegistryKey).min(1).max(1000).optional().meta({
      description:
        "only these sites; absent: every site with a hopecloud_plant_id (for a key scoped to sites: its sites)",
    }),
  })
  .optional();

export function hopecloudRoutes(db: pg.Pool, client: () => HopeCloudClient) {
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/hopecloud/communication-modules/sync",
      operationId: "syncCommunicationModules",
      summary:
        "Fetch every HopeCloud communication module of the sites and upsert them; answer with the report",
      description:
        "A site that fails (unknown, without a plant, the cloud failing) is an error of the report; the others are synced.",
      tag: "communication-modules",
      role: "operator",
      request: { body: Body },
      response: { status: 200, description: "The sync report (also kept in job_runs)", schema: SyncReport },
      handler: async ({ body }, c) => {
        const scope = siteScope(c);
        const named = body?.site_ids && [...new Set(body.site_ids)];
        const outside = outsideScope(scope, named ?? []);
        if (outside[0] !== undefined) throw notFound("site", outside[0]);
        let cloud: HopeCloudClient;
        try {
          cloud = client();
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          throw new ApiError(503, "hopecloud_unavailable", e.message);
        }
        const siteIds = named ?? scope;
        return syncCommunicationModules(db, cloud, siteIds === undefined ? {} : { siteIds });
      },
    }),
  ];
}
