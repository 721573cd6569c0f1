// One NDJSON backfill line → the record it becomes, or a dead letter. A line is either a reading
// (`{"device_id", "ts", "energy_wh_total", …}`, the batch input format) or an MQTT capture
// (`{"topic", "payload"}`, as `wattline simulate --stdout` prints), which goes through the MQTT routing table.
import { z } from "zod";
import { TOPICS } from "../../ground/topics.ts";
import { TS_OUT_OF_RANGE, tsOutOfRange } from "../../pipelines/core/ts-range.ts";
import { builders } from "../mqtt/payloads.ts";
import type { Route } from "../mqtt/routes.ts";
import { type Limits, type Translation, translate } from "../mqtt/translate.ts";

const reading = z.object({ device_id: z.string().min(1), ts: z.union([z.string(), z.number()]) });

export function translateLine(
  routes: readonly Route[],
  line: string,
  where: string,
  limits: Limits,
): Translation {
  // The receive time of a backfilled line is when it is read.
  const receivedAt = Date.now();
  const dead = (reason: string, details: string, key: string | null = null): Translation => ({
    ok: false,
    route: undefined,
    deadLetter: {
      source: "file",
      original_topic: where,
      key,
      payload: Buffer.from(line),
      reason,
      details,
      received_at: receivedAt,
    },
  });
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    return dead("not_json", (err as Error).message);
  }
  if (typeof json === "object" && json !== null && "topic" in json && "payload" in json) {
    const { topic, payload } = json as { topic: unknown; payload: unknown };
    if (typeof topic !== "string") return dead("invalid_payload", "topic: expected a string");
    const bytes = Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload));
    return translate(routes, { topic, payload: bytes, receivedAt, source: "file" }, limits);
  }
  const head = reading.safeParse(json);
  if (!head.success) {
    const details = head.error.issues.map((i) => `${i.path.join(".") || "(line)"}: ${i.message}`).join("; ");
    return dead("invalid_payload", details);
  }
  const key = head.data.device_id;
  try {
    const value = builders.telemetry(json, { captures: { device: key }, receivedAt, source: "file" }, {});
    const implausible = tsOutOfRange(value.ts, receivedAt, limits.maxFutureMs);
    if (implausible !== undefined) return dead(TS_OUT_OF_RANGE, implausible, key);
    return {
      ok: true,
      route: undefined,
      record: "TelemetryReading",
      kafkaTopic: TOPICS.telemetry,
      key,
      value,
    };
  } catch (err) {
    if (!(err instanceof z.ZodError)) throw err;
    const details = err.issues.map((i) => `${i.path.join(".") || "(line)"}: ${i.message}`).join("; ");
    return dead("invalid_payload", details, key);
  }
}
