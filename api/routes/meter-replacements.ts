// Meter replacements (ENERGY_SEMANTICS.md, "Meter replacement") recorded by an operator: kept in the registry and
// published on the telemetry topic, where the ledger folds the event among the device's readings. One recorded
// after the fact (behind the device's readings) reaches the ledger late and so recalculates the device.
import type pg from "pg";
import { z } from "zod";
import { tsOutOfRange } from "../../pipelines/core/ts-range.ts";
import { type SiteScope, scopeCondition, siteScope } from "../auth/scope.ts";
import { type Db, row, rows } from "../db.ts";
import { ApiError, notFound } from "../errors.ts";
import { defineRoute } from "../openapi/route.ts";
import type { ReplacementSender } from "../replacements/producer.ts";
import { ExternalId, IdOut, Text, Timestamp } from "../schemas.ts";

// A counter in Wh: what the core accepts (finite, not negative), with a bound that keeps doubles exact enough.
const Counter = z.number().min(0).max(1e15);

const Recording = z.strictObject({
  ts: Timestamp.meta({ description: "the instant of the swap, with an offset" }),
  old_final_wh_total: Counter.nullable()
    .optional()
    .meta({ description: "the old counter's last value; absent or null when not known" }),
  new_initial_wh_total: Counter.meta({
    description: "the new counter's value at the swap (0 for a new meter)",
  }),
  note: Text.nullable().optional(),
});

export const MeterReplacement = z.object({
  id: IdOut,
  device_id: z.string(),
  ts: Timestamp,
  old_final_wh_total: z.number().nullable(),
  new_initial_wh_total: z.number(),
  note: z.string().nullable(),
  recorded_by: z.string(),
  created_at: Timestamp,
});
type Row = z.input<typeof MeterReplacement>;

const Params = z.strictObject({ device_id: ExternalId });
const COLUMNS = "id, device_id, ts, old_final_wh_total, new_initial_wh_total, note, recorded_by, created_at";

/** The device must exist and be of the key's sites: a 404 otherwise. */
async function requireDevice(db: Db, device: string, scope: SiteScope): Promise<void> {
  const values: unknown[] = [device];
  const own = scopeCondition("site_id", scope, values);
  if (!(await row(db, `SELECT 1 FROM devices WHERE device_id = $1${own ? ` AND ${own}` : ""}`, values)))
    throw notFound("device", device);
}

/**
 * A ts the ledger would dead-letter (ENERGY_SEMANTICS's ts range) is refused here, so that nothing is recorded
 * that the ledger never takes in.
 */
function checkTs(ts: string, receivedAt: number, maxFutureMs: number): void {
  const problem = tsOutOfRange(Date.parse(ts), receivedAt, maxFutureMs);
  if (problem !== undefined)
    throw new ApiError(400, "validation_failed", "invalid request body", {
      issues: [{ path: "body.ts", code: "custom", message: problem }],
    });
}

export function meterReplacementRoutes(
  db: pg.Pool,
  sender: () => ReplacementSender,
  maxFutureMs: () => number,
) {
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/devices/:device_id/meter-replacements",
      operationId: "recordMeterReplacement",
      summary: "Record a meter replacement: the old counter ended, a new one starts",
      description:
        "Kept in the registry and published on the telemetry topic; the ledger takes it among the device's " +
        "readings by time. One behind the device's readings recalculates the device. 409 for a second " +
        "replacement at the same instant; 503 when the event could not be published (nothing is recorded).",
      tag: "devices",
      role: "operator",
      request: { params: Params, body: Recording },
      response: { status: 201, description: "Recorded and published", schema: MeterReplacement },
      conflicts: true,
      handler: async ({ params, body }, c) => {
        const receivedAt = Date.now();
        checkTs(body.ts, receivedAt, maxFutureMs());
        const client = await db.connect();
        try {
          await client.query("BEGIN");
          await requireDevice(client, params.device_id, siteScope(c));
          const recorded = (await row<Row>(
            client,
            `INSERT INTO meter_replacements (device_id, ts, old_final_wh_total, new_initial_wh_total, note, recorded_by)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
            [
              params.device_id,
              body.ts,
              body.old_final_wh_total ?? null,
              body.new_initial_wh_total,
              body.note ?? null,
              c.get("apiKey").name,
            ],
          )) as Row;
          // Published before the commit: a replacement the ledger never hears of is never recorded.
          await publish(sender(), recorded, receivedAt);
          await client.query("COMMIT");
          c.header("Location", `/api/v1/devices/${encodeURIComponent(params.device_id)}/meter-replacements`);
          return recorded;
        } catch (err) {
          await client.query("ROLLBACK");
          throw err;
        } finally {
          client.release();
        }
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/devices/:device_id/meter-replacements",
      operationId: "listMeterReplacements",
      summary: "A device's recorded meter replacements, oldest first",
      tag: "devices",
      role: "viewer",
      request: { params: Params },
      response: { status: 200, description: "The replacements", schema: z.array(MeterReplacement) },
      handler: async ({ params }, c) => {
        await requireDevice(db, params.device_id, siteScope(c));
        return rows<Row>(
          db,
          `SELECT ${COLUMNS} FROM meter_replacements WHERE device_id = $1 ORDER BY ts, id`,
          [params.device_id],
        );
      },
    }),
  ];
}

async function publish(sender: ReplacementSender, r: Row, receivedAt: number): Promise<void> {
  try {
    await sender.send({
      device_id: r.device_id,
      ts: Date.parse(r.ts),
      old_final_wh_total: r.old_final_wh_total,
      new_initial_wh_total: r.new_initial_wh_total,
      source: "api",
      received_at: receivedAt,
    });
  } catch (err) {
    throw new ApiError(
      503,
      "publish_failed",
      `the replacement could not be published: ${(err as Error).message}`,
    );
  }
}
