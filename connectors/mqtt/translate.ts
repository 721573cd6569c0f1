// One incoming message → one Kafka record: the routed Avro record, or a dead letter that says why.
import { z } from "zod";
import { TS_OUT_OF_RANGE, tsOutOfRange } from "../../pipelines/core/ts-range.ts";
import type { DeadLetter, RecordName, WattlineRecords } from "../../schemas/generated/types.ts";
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

export function translate(routes: readonly Route[], message: Incoming, limits: Limits): Translation {
  const { maxPayloadBytes, maxFutureMs } = limits;
  const dead = (
    route: Route | undefined,
    reason: string,
    details: string | null,
    key: string | null = null,
  ) => ({
    ok: false as const,
    route,
    deadLetter: {
      source: message.source,
      original_topic: message.topic,
      key,
      payload: message.payload,
      reason,
      details,
      received_at: message.receivedAt,
    },
  });
  let route: Route | undefined;
  let captures: Record<string, string> | undefined;
  for (const candidate of routes) {
    captures = candidate.topic.match(message.topic);
    if (captures) {
      route = candidate;
      break;
    }
  }
  // Keyed by topic: there is no device id to key by.
  if (!route || !captures)
    return dead(undefined, "unknown_topic", "no route matches this topic", message.topic);
  const key = captures.device ?? null;
  if (message.payload.length > maxPayloadBytes) {
    return dead(route, "too_large", `${message.payload.length} bytes, limit ${maxPayloadBytes}`, key);
  }
  let json: unknown;
  try {
    json = JSON.parse(message.payload.toString("utf8"));
  } catch (err) {
    return dead(route, "not_json", (err as Error).message, key);
  }
  try {
    const envelope = { captures, receivedAt: message.receivedAt, source: message.source };
    const value = builders[route.kind](json, envelope, route.fields);
    // Every record has a ts: the device's, or the receive time when the payload has none (always in range).
    const implausible = tsOutOfRange(value.ts, message.receivedAt, maxFutureMs);
    if (implausible !== undefined) return dead(route, TS_OUT_OF_RANGE, implausible, key);
    const target = KIND_TARGETS[route.kind];
    return { ok: true, route, record: target.record, kafkaTopic: target.kafkaTopic, key: key ?? "", value };
  } catch (err) {
    if (err instanceof z.ZodError) {
      const details = err.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; ");
      return dead(route, "invalid_payload", details, key);
    }
    throw err;
  }
}
