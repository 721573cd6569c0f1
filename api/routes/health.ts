// /health: the liveness probe, public and cheap (read from the background monitor, api/health.ts; limited per
// client address): status and time only, 503 when a dependency is down. /api/v1/health: the operator's report for
// authenticated viewers in seed 004's shape (status, telemetry, ledger, aggregation, services, timestamp), always 200,
// each figure null when its source could not be asked, and problems described without hosts, users or driver errors.
import type pg from "pg";
import { z } from "zod";
import { TOPICS } from "../../ground/topics.ts";
import { refuseScoped } from "../auth/scope.ts";
import { consumerLag } from "../consumer-lag.ts";
import { rows } from "../db.ts";
import type { ApiDependencies } from "../deps.ts";
import { HealthMonitor } from "../health.ts";
import { defineRoute } from "../openapi/route.ts";
import { IdOut, Timestamp } from "../schemas.ts";

/** The energy ledger's consumer group on telemetry.energy.v1, unless configured otherwise (WATTLINE_LEDGER_GROUP). */
const LEDGER_GROUP = "wattline-ledger";

const Count = z.number().int().nullable();

const Service = z.object({
  status: z.enum(["up", "down"]),
  latency_ms: z.number(),
  error: z.string().optional(),
});

const HealthReport = z.object({
  status: z.enum(["healthy", "degraded"]),
  telemetry: z.object({
    topic: z.string(),
    total_events: Count.meta({ description: "records the telemetry topic retains" }),
    registered_devices: Count,
    online_devices: Count.meta({ description: "registered devices whose last status is online" }),
    offline_devices: Count,
    devices_without_status: Count.meta({ description: "registered devices no status has arrived for" }),
    unregistered_reporting: Count.meta({ description: "devices with a status but not in the registry" }),
  }),
  ledger: z.object({
    consumer_group: z.string(),
    topic: z.string(),
    consumer_lag: Count.meta({
      description: "records not yet consumed; null before the group's first commit",
    }),
    partitions: z.array(
      z.object({
        partition: z.number().int(),
        committed: Count,
        end: z.number().int(),
        lag: z.number().int(),
      }),
    ),
    note: z.string().nullable(),
  }),
  aggregation: z.object({
    last_run: Timestamp.nullable().meta({ description: "start of the most recent job run" }),
    last_run_id: IdOut.nullable(),
    last_job: z.string().nullable(),
    last_status: z.enum(["running", "succeeded", "failed"]).nullable(),
    jobs: z.array(
      z.object({
        job: z.string(),
        run_id: IdOut,
        status: z.enum(["running", "succeeded", "failed"]),
        started_at: Timestamp,
        finished_at: Timestamp.nullable(),
      }),
    ),
  }),
  services: z.record(z.string(), Service),
  timestamp: Timestamp,
});

interface DeviceCounts {
  registered_devices: number;
  online_devices: number;
  offline_devices: number;
  devices_without_status: number;
  unregistered_reporting: number;
}

interface JobRun {
  job: string;
  run_id: number;
  status: "running" | "succeeded" | "failed";
  started_at: string;
  finished_at: string | null;
}

async function deviceCounts(db: pg.Pool): Promise<DeviceCounts | undefined> {
  const [counts] = await rows<DeviceCounts>(
    db,
    `SELECT count(d.device_id) AS registered_devices,
            count(d.device_id) FILTER (WHERE s.status = 'online') AS online_devices,
            count(d.device_id) FILTER (WHERE s.status = 'offline') AS offline_devices,
            count(d.device_id) FILTER (WHERE s.device_id IS NULL) AS devices_without_status,
            count(s.device_id) FILTER (WHERE d.device_id IS NULL) AS unregistered_reporting
     FROM devices d FULL JOIN device_status s ON s.device_id = d.device_id`,
  );
  return counts;
}

const latestJobRuns = (db: pg.Pool) =>
  rows<JobRun>(
    db,
    `SELECT * FROM (SELECT DISTINCT ON (job) job, id AS run_id, status, started_at, finished_at
                    FROM job_runs ORDER BY job, started_at DESC, id DESC) latest
     ORDER BY started_at DESC LIMIT 50`,
  );

export async function healthReport(deps: ApiDependencies, monitor: HealthMonitor) {
  const group = deps.ledgerGroup ?? LEDGER_GROUP;
  const [check, lag, counts, jobs] = await Promise.all([
    monitor.current(),
    consumerLag(deps.kafka, group, TOPICS.telemetry),
    deviceCounts(deps.postgres).catch(() => undefined),
    latestJobRuns(deps.postgres).catch(() => [] as JobRun[]),
  ]);
  const last = jobs[0];
  return {
    status: check.status === "healthy" ? ("healthy" as const) : ("degraded" as const),
    telemetry: {
      topic: TOPICS.telemetry,
      total_events: lag.retained,
      registered_devices: counts?.registered_devices ?? null,
      online_devices: counts?.online_devices ?? null,
      offline_devices: counts?.offline_devices ?? null,
      devices_without_status: counts?.devices_without_status ?? null,
      unregistered_reporting: counts?.unregistered_reporting ?? null,
    },
    ledger: {
      consumer_group: group,
      topic: TOPICS.telemetry,
      consumer_lag: lag.lag,
      partitions: lag.partitions,
      // The driver's words may name hosts: say only what could not be done.
      note: lag.retained === null ? "Kafka could not be asked" : lag.note,
    },
    aggregation: {
      last_run: last?.started_at ?? null,
      last_run_id: last?.run_id ?? null,
      last_job: last?.job ?? null,
      last_status: last?.status ?? null,
      jobs,
    },
    services: check.services,
    timestamp: check.timestamp,
  };
}

export function healthRoutes(deps: ApiDependencies) {
  // Made when first asked for: listing the routes (the OpenAPI document) must not need the dependencies.
  let made: HealthMonitor | undefined;
  const monitor = () => {
    made ??= deps.health ?? new HealthMonitor(deps, deps.logger ? { logger: deps.logger } : {});
    return made;
  };
  return [
    defineRoute({
      method: "get",
      path: "/health",
      operationId: "getLiveness",
      summary: "Liveness: 200 when Kafka, QuestDB, Postgres and MQTT were up at the last probe, else 503",
      tag: "health",
      role: "public",
      response: {
        status: 200,
        description:
          "Every dependency up (503 with the same body when one is down); probed every few seconds in the " +
          "background, limited per client address (429). Body: {status, timestamp}; the details are in " +
          "GET /api/v1/health.",
        contentType: "application/json",
      },
      handler: async (_input, c) => {
        const { status, timestamp } = await monitor().current();
        return c.json({ status, timestamp }, status === "healthy" ? 200 : 503);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/health",
      operationId: "getHealthReport",
      summary: "Health report: devices online, telemetry retained, ledger consumer lag, latest job runs",
      tag: "health",
      role: "viewer",
      response: {
        status: 200,
        description: "The report (status degraded when a dependency is down)",
        schema: HealthReport,
      },
      // Fleet-wide counts and every job's latest run: not for a key scoped to sites.
      handler: async (_input, c) => {
        refuseScoped(c, "read the fleet's health report");
        return healthReport(deps, monitor());
      },
    }),
  ];
}
