// A translation as the bytes a connector sends: the record encoded, or its dead letter. A record the schema refuses
// (a value zod let through that Avro cannot hold) becomes an `unencodable` dead letter instead of an exception
// that would stop the connector.
import { TOPICS } from "../ground/topics.ts";
import type { SchemaStore } from "../schemas/codec/schema-store.ts";
import type { DeadLetter, WattlineRecords } from "../schemas/generated/types.ts";
import { deadLetter } from "./dead-letter.ts";
import type { Translation } from "./mqtt/translate.ts";

export interface Outgoing {
  topic: string;
  key: string | null;
  value: Buffer;
  /** The dead letter's reason, when it is one. */
  reason: string | undefined;
}

/** Where a translated input came from, for the dead letter of a record that cannot be encoded. */
export interface Origin {
  source: string;
  where: string;
  input: Buffer;
}

export function outgoing(store: SchemaStore<WattlineRecords>, t: Translation, origin: Origin): Outgoing {
  if (!t.ok) return dead(store, t.deadLetter);
  try {
    return {
      topic: t.kafkaTopic,
      key: t.key,
      value: store.encode(t.record, t.value as never),
      reason: undefined,
    };
  } catch (err) {
    const details = (err as Error).message;
    const letter = { ...origin, key: t.key, reason: "unencodable", details, receivedAt: Date.now() };
    return dead(store, deadLetter(letter));
  }
}

const dead = (store: SchemaStore<WattlineRecords>, letter: DeadLetter): Outgoing => ({
  topic: TOPICS.deadLetter,
  key: letter.key,
  value: store.encode("DeadLetter", letter),
  reason: letter.reason,
});
