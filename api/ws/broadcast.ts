// An admin's broadcast as it travels: the message the route accepts, the record on monitoring.broadcasts.v1, and
// the message every API instance sends its clients. Records are checked again when read (any producer may write
// the topic): a bad one is skipped with a log, never passed on and never fatal to the feed.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { KafkaMessage } from "../../ground/kafka.ts";
import type { Logger } from "../../ground/logger.ts";
import { decodeBatch } from "../../pipelines/runtime/consumed.ts";
import type { MonitoringBroadcast } from "../../schemas/generated/types.ts";

const MAX_BROADCAST_BYTES = 16 * 1024;

export const BroadcastMessage = z
  .union([z.string().min(1), z.record(z.string(), z.unknown())])
  .refine((m) => JSON.stringify(m).length <= MAX_BROADCAST_BYTES, {
    message: `at most ${MAX_BROADCAST_BYTES} bytes as JSON`,
  })
  .meta({ description: "text, or a JSON object (e.g. {type, message, start_time})" });

export type BroadcastMessage = z.infer<typeof BroadcastMessage>;

/** What clients receive; system_id null: to the clients of every system. */
export interface ClientBroadcast {
  type: "broadcast";
  data: {
    broadcast_id: string;
    system_id: number | null;
    message: BroadcastMessage;
    sent_by: string;
    sent_at: string;
  };
}

export function broadcastRecord(
  systemId: number | null,
  message: BroadcastMessage,
  sentBy: string,
): MonitoringBroadcast {
  return {
    broadcast_id: randomUUID(),
    system_id: systemId,
    message: JSON.stringify(message),
    sent_by: sentBy,
    sent_at: Date.now(),
  };
}

function clientBroadcast(r: MonitoringBroadcast): ClientBroadcast | string {
  let json: unknown;
  try {
    json = JSON.parse(r.message);
  } catch (err) {
    return `message is not JSON: ${(err as Error).message}`;
  }
  const message = BroadcastMessage.safeParse(json);
  if (!message.success) return `message: ${message.error.issues.map((i) => i.message).join("; ")}`;
  const { broadcast_id, system_id, sent_by, sent_at } = r;
  return {
    type: "broadcast",
    data: {
      broadcast_id,
      system_id,
      message: message.data,
      sent_by,
      sent_at: new Date(sent_at).toISOString(),
    },
  };
}

/** The batch's broadcasts for clients; what does not decode or validate is logged and left out. */
export function decodeBroadcasts(
  topic: string,
  messages: readonly KafkaMessage[],
  logger: Logger,
): ClientBroadcast[] {
  const { records, deadLetters } = decodeBatch(topic, "MonitoringBroadcast", messages);
  const out: ClientBroadcast[] = [];
  const skipped = deadLetters.map((d) => ({ key: d.key, reason: d.reason, details: d.details }));
  for (const { record } of records) {
    const b = clientBroadcast(record);
    if (typeof b === "string")
      skipped.push({ key: record.broadcast_id, reason: "invalid_record", details: b });
    else out.push(b);
  }
  for (const s of skipped) logger.warn({ topic, ...s }, "live feed: broadcast skipped");
  return out;
}
