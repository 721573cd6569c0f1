// One incoming message → one Kafka record: the routed Avro record, or a dead letter that says why.
import { isUtf8 } from "node:buffer";
import { z } from "zod";
import { TOPICS } from "../../ground/topics.ts";
import { TS_OUT_OF_RANGE, tsOutOfRange } from "../../pipelines/core/ts-range.ts";
import type { DeadLetter, RecordName, WattlineRecords } from "../../schemas/generated/types.ts";
import { deadLetter } from "../dead-letter.ts";
import { MAX_ID_LENGTH } from "../limits.ts";
import { builders } from "./payloads.ts";
import { KIND_TARGETS, type Route } from "./routes.ts";

export type Translation =
  | {
      ok: true;
      route: Route | undefined;
      record: RecordName;
      kafkaTopic: string;
      key: string;
      value: WattlineRecords[RecordName];
    }
  | { ok: false; route: Route | undefined; deadLetter: DeadLetter };

export interface Incoming {
  topic: string;
  payload: Buffer;
  receivedAt: number;
  source: string;
}

export interface Limits {
  /** A larger payload is dead-lettered `too_large`. */
  maxPayloadBytes: number;
  /** A device `ts` more than this after the receive time (or before 2000) is dead-lettered `ts_out_of_range`. */
  maxFutureMs: number;
}

/** `path: message; …` of a validation error, as dead letters' details say it. */
export const describeIssues = (err: z.ZodError, whole: string) =>
  err.issues.map((i) => `${i.path.join(".") || whole}: ${i.message}`).join("; ");

/** A dead letter for `message`. Defined once here: a closure made per message costs more than its work (tsx names
 * every function it creates, per call). */
function refuse(
  message: Incoming,
  route: Route | undefined,
  reason: string,
  details: string | null,
  key: string | null,
): Translation {
  const letter = deadLetter({
    source: message.source,
    where: message.topic,
    key,
    input: message.payload,
    reason,
    details,
    receivedAt: message.receivedAt,
  });
  return { ok: false, route, deadLetter: letter };
}

/** The first capture longer than an id may be, as [name, value]. */
function longCapture(captures: Record<string, string>): [string, string] | undefined {
  for (const name in captures) {
    const value = captures[name] as string;
    if (value.length > MAX_ID_LENGTH) return [name, value];
  }
  return undefined;
}

export function translate(routes: readonly Route[], message: Incoming, limits: Limits): Translation {
  const { maxPayloadBytes, maxFutureMs } = limits;
  let route: Route | undefined;
  let captures: Record<string, string> | undefined;
  const levels = message.topic.split("/");
  for (const candidate of routes) {
    captures = candidate.topic.matchLevels(levels);
    if (captures) {
      route = candidate;
      break;
    }
  }
  // Keyed by topic: there is no device id to key by.
  if (!route || !captures)
    return refuse(message, undefined, "unknown_topic", "no route matches this topic", message.topic);
  const key = captures.device ?? null;
  const long = longCapture(captures);
  if (long) {
    const [name, value] = long;
    return refuse(
      message,
      route,
      "id_too_long",
      `${name}: ${value.length} characters, limit ${MAX_ID_LENGTH}`,
      key,
    );
  }
  if (message.payload.length > maxPayloadBytes) {
    return refuse(
      message,
      route,
      "too_large",
      `${message.payload.length} bytes, limit ${maxPayloadBytes}`,
      key,
    );
  }
  // Decoding would replace invalid sequences with U+FFFD and change the payload without saying so.
  if (!isUtf8(message.payload))
    return refuse(message, route, "invalid_utf8", "the payload is not valid UTF-8", key);
  let json: unknown;
  try {
    json = JSON.parse(message.payload.toString("utf8"));
  } catch (err) {
    return refuse(message, route, "not_json", (err as Error).message, key);
  }
  try {
    const envelope = { captures, receivedAt: message.receivedAt, source: message.source };
    const value = builders[route.kind](json, envelope, route.fields);
    // Every record has a ts: the device's, or the receive time when the payload has none (always in range).
    const implausible = tsOutOfRange(value.ts, message.receivedAt, maxFutureMs);
    if (implausible !== undefined) return refuse(message, route, TS_OUT_OF_RANGE, implausible, key);
    const target = KIND_TARGETS[route.kind];
    return {
      ok: true,
      route,
      record: target.record,
      kafkaTopic: TOPICS[target.topic],
      key: key ?? "",
      value,
    };
  } catch (err) {
    if (err instanceof z.ZodError)
      return refuse(message, route, "invalid_payload", describeIssues(err, "(payload)"), key);
    // Whatever else a payload provokes (a stack overflow in a deep structure) refuses that payload only.
    return refuse(message, route, "unprocessable", (err as Error).message, key);
  }
}
