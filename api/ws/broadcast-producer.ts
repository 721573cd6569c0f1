// Publishes admins' broadcasts to monitoring.broadcasts.v1, where every API instance's feed reads them (this one's
// too: it delivers to its own clients only what it reads back, so each client gets a broadcast once).
import type { Config } from "../../ground/config.ts";
import type { Kafka } from "../../ground/kafka.ts";
import { ensureTopics, TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { MonitoringBroadcast } from "../../schemas/generated/types.ts";
import { LazyProducer } from "../lazy-producer.ts";

export interface BroadcastSender {
  /** Resolves once every in-sync replica has the record. */
  send(record: MonitoringBroadcast): Promise<void>;
}

export class BroadcastProducer implements BroadcastSender {
  readonly #producer: LazyProducer;

  constructor(kafka: Kafka, config: Config) {
    this.#producer = new LazyProducer(kafka, {}, async () => {
      const admin = kafka.admin({ retry: { retries: 3 } });
      await admin.connect();
      try {
        await ensureTopics(admin, config);
      } finally {
        await admin.disconnect();
      }
    });
  }

  send(record: MonitoringBroadcast): Promise<void> {
    const value = schemaStore().encode("MonitoringBroadcast", record);
    return this.#producer.send(TOPICS.broadcasts, record.broadcast_id, value);
  }

  stop(): Promise<void> {
    return this.#producer.stop();
  }
}
