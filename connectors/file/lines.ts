// One NDJSON backfill line → the record it becomes, or a dead letter. A line is a reading
// (`{"device_id", "ts", "energy_wh_total", …}`) or a meter replacement (`{"kind": "meter_replacement", …}`), the
// batch input format, or an MQTT capture (`{"topic", "payload"}`, as `wattline simulate --stdout` prints), which
// goes through the MQTT routing table.
import { isUtf8 } from "node:buffer";
import { z } from "zod";
import { TOPICS } from "../../ground/topics.ts";
import { REPLACEMENT_KIND } from "../../pipelines/core/replacement.ts";
import { TS_OUT_OF_RANGE, tsOutOfRange } from "../../pipelines/core/ts-range.ts";
import { deadLetter } from "../dead-letter.ts";
import { MAX_ID_LENGTH } from "../limits.ts";
import { builders } from "../mqtt/payloads.ts";
import type { Route } from "../mqtt/routes.ts";
import { describeIssues, type Limits, type Translation, translate } from "../mqtt/translate.ts";
import type { Line } from "./bounded-lines.ts";

const reading = z.object({
  device_id: z.string().min(1).max(MAX_ID_LENGTH),
  ts: z.union([z.string(), z.number()]),
});

/**
 * The longest line read whole: room for a capture line (`{"topic", "payload"}`) whose payload, escaped as a JSON
 * string, is at the payload limit. A longer line is dead-lettered `too_large` with an excerpt.
 */
export const maxLineBytes = (maxPayloadBytes: number) => 2 * maxPayloadBytes + 1024;

/** A line as read: too long or not UTF-8 is a dead letter, blank is nothing, the rest is translated. */
export function translateRead(
  routes: readonly Route[],
  line: Line,
  where: string,
  limits: Limits,
): Translation | undefined {
  const refuse = (reason: string, details: string): Translation => {
    const input = line.bytes ?? line.tooLong;
    const letter = { source: "file", where, key: null, input, reason, details, receivedAt: Date.now() };
    return { ok: false, route: undefined, deadLetter: deadLetter(letter) };
  };
  if (line.tooLong) {
    const limit = maxLineBytes(limits.maxPayloadBytes);
    return refuse("too_large", `line of ${line.tooLong.size} bytes, limit ${limit}`);
  }
  if (!isUtf8(line.bytes)) return refuse("invalid_utf8", "the line is not valid UTF-8");
  const text = line.bytes.toString("utf8");
  return text.trim() === "" ? undefined : translateLine(routes, text, where, limits);
}

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
    deadLetter: deadLetter({
      source: "file",
      where,
      key,
      input: Buffer.from(line),
      reason,
      details,
      receivedAt,
    }),
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
  if (!head.success) return dead("invalid_payload", describeIssues(head.error, "(line)"));
  const key = head.data.device_id;
  try {
    const envelope = { captures: { device: key }, receivedAt, source: "file" };
    const replacement = (json as { kind?: unknown }).kind === REPLACEMENT_KIND;
    const value = replacement ? builders.replacement(json, envelope) : builders.telemetry(json, envelope, {});
    const implausible = tsOutOfRange(value.ts, receivedAt, limits.maxFutureMs);
    if (implausible !== undefined) return dead(TS_OUT_OF_RANGE, implausible, key);
    return {
      ok: true,
      route: undefined,
      record: replacement ? "MeterReplacement" : "TelemetryReading",
      kafkaTopic: TOPICS.telemetry,
      key,
      value,
    };
  } catch (err) {
    if (err instanceof z.ZodError) return dead("invalid_payload", describeIssues(err, "(line)"), key);
    return dead("unprocessable", (err as Error).message, key);
  }
}
