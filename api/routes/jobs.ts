// Recalculation (a replay of the ledger over a range, seed 004's "recalculate") as a background job, and the status
// of any job run. The replay itself is pipelines/ledger/replay.ts, the same code as `wattline replay`. A key scoped to
// sites recalculates only devices of its sites, named, and sees only such recalculations: other jobs (reconciliation,
// imports, syncs) span sites.
import type { Context } from "hono";
import type pg from "pg";
import { z } from "zod";
import type { Config } from "../../ground/config.ts";
import {
  checkReplayOptions,
  ReplayInputError,
  type ReplayProgress,
  replayRange,
} from "../../pipelines/ledger/replay.ts";
import { refuseScoped, siteScope } from "../auth/scope.ts";
import { type BackgroundJobs, JOB_COLUMNS, type JobRun } from "../background.ts";
import { row, rows } from "../db.ts";
import { DAY_MS } from "../energy/local-time.ts";
import { ApiError, notFound } from "../errors.ts";
import { DbId, defineRoute } from "../openapi/route.ts";
import { ExternalId, IdOut, Timestamp } from "../schemas.ts";

export const REPLAY_JOB = "ledger.replay";
/** A replay keeps the range's hour buckets of every device in memory. */
const MAX_RANGE_DAYS = 366;
const MAX_DEVICES = 1000;

const Recalculation = z
  .strictObject({
    from: Timestamp.meta({ description: "inclusive, with an offset" }),
    to: Timestamp.meta({ description: `exclusive; at most ${MAX_RANGE_DAYS} days after from` }),
    devices: z
      .array(ExternalId)
      .min(1)
      .max(MAX_DEVICES)
      .optional()
      .meta({ description: "only these devices; every device on the telemetry topic when absent" }),
    dry_run: z
      .boolean()
      .default(false)
      .meta({ description: "compute and report what would change; write nothing" }),
    with_readings: z.boolean().default(false).meta({
      description: "rewrite the readings rows too: to bring back lost ones (the ledger's rows never need it)",
    }),
  })
  .superRefine((b, ctx) => {
    const span = Date.parse(b.to) - Date.parse(b.from);
    if (!(span > 0)) ctx.addIssue({ code: "custom", path: ["to"], message: "to must be after from" });
    else if (span > MAX_RANGE_DAYS * DAY_MS)
      ctx.addIssue({ code: "custom", path: ["to"], message: `at most ${MAX_RANGE_DAYS} days after from` });
  });

const Job = z.object({
  id: IdOut,
  job: z.string(),
  status: z.enum(["running", "succeeded", "failed"]),
  started_at: Timestamp,
  finished_at: Timestamp.nullable(),
  summary: z.record(z.string(), z.unknown()).meta({
    description:
      "what the job reports: its request, `progress` while it runs, its result or `error` at the end",
  }),
});

/** A ledger.replay job of named devices, all of the sites $2 (alias j): what a scoped key may see. */
const SCOPED_JOB_SQL = `j.job = '${REPLAY_JOB}' AND jsonb_typeof(j.summary->'devices') = 'array'
  AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(j.summary->'devices') AS x(id)
                  WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_id = x.id AND d.site_id = ANY($2::text[])))`;

/** A scoped key names the devices to recalculate (403 otherwise), each of its sites (404 otherwise, as if unknown). */
async function checkDevices(db: pg.Pool, c: Context, devices: readonly string[] | undefined): Promise<void> {
  const scope = siteScope(c);
  if (scope === undefined) return;
  if (devices === undefined) refuseScoped(c, "recalculate every device");
  const found = await rows<{ device_id: string }>(
    db,
    "SELECT device_id FROM devices WHERE device_id = ANY($1::text[]) AND site_id = ANY($2::text[])",
    [devices, scope],
  );
  const seen = new Set(found.map((d) => d.device_id));
  const missing = devices?.find((d) => !seen.has(d));
  if (missing !== undefined) throw notFound("device", missing);
}

/** Replay progress summed over partitions: records read of those to read, in pass 1 or 2. */
const progressOf = (p: ReplayProgress) => ({
  pass: p.pass,
  read: p.partitions.reduce((n, x) => n + x.read, 0),
  total: p.partitions.reduce((n, x) => n + x.total, 0),
});

export function jobRoutes(db: pg.Pool, jobs: BackgroundJobs, config: () => Config) {
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/recalculations",
      operationId: "startRecalculation",
      summary: "Recalculate the ledger of a range from the telemetry topic, in the background",
      description:
        "Starts a replay (as `wattline replay`) and answers at once with its job; follow it at /api/v1/jobs/{id}. One recalculation at a time per API process.",
      tag: "jobs",
      role: "operator",
      request: { body: Recalculation },
      response: { status: 202, description: "The job, running", schema: Job },
      conflicts: true,
      handler: async ({ body }, c) => {
        const devices = body.devices ? { devices: [...new Set(body.devices)] } : {};
        await checkDevices(db, c, devices.devices);
        try {
          checkReplayOptions({ from: body.from, to: body.to, ...devices });
        } catch (e) {
          if (!(e instanceof ReplayInputError)) throw e;
          throw new ApiError(400, "validation_failed", "invalid request body", {
            issues: [{ path: "body", code: "custom", message: e.message }],
          });
        }
        const running = jobs.runningId(REPLAY_JOB);
        if (running !== undefined)
          throw new ApiError(409, "conflict", `a recalculation is already running: job ${running}`, {
            job_id: running,
          });
        const request = {
          from: new Date(body.from).toISOString(),
          to: new Date(body.to).toISOString(),
          devices: devices.devices ?? null,
          dry_run: body.dry_run,
          with_readings: body.with_readings,
          requested_by: c.get("apiKey").name,
        };
        const job = await jobs.start(REPLAY_JOB, request, async (report) => {
          const summary = await replayRange(config(), {
            from: body.from,
            to: body.to,
            ...devices,
            dryRun: body.dry_run,
            withReadings: body.with_readings,
            onProgress: (p) => report(progressOf(p)),
          });
          return { ...summary };
        });
        c.header("Location", `/api/v1/jobs/${job.id}`);
        return job;
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/jobs/:id",
      operationId: "getJob",
      summary: "A job run: status, times and summary",
      tag: "jobs",
      role: "viewer",
      request: { params: z.strictObject({ id: DbId }) },
      response: { status: 200, description: "The job run", schema: Job },
      handler: async ({ params }, c) => {
        const scope = siteScope(c);
        const found = await row<JobRun>(
          db,
          `SELECT ${JOB_COLUMNS} FROM job_runs j WHERE id = $1 AND ($2::text[] IS NULL OR (${SCOPED_JOB_SQL}))`,
          [params.id, scope ?? null],
        );
        if (found === undefined) throw notFound("job", params.id);
        return found;
      },
    }),
  ];
}
