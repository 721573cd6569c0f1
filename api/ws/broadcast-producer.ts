// Publishes admins' broadcasts to monitoring.broadcasts.v1, where every API instance's feed reads them (this one's
// too: it delivers to its own clients only what it reads back, so each client gets a broadcast once). Connects on
// the first broadcast, so that an API started while Kafka is away still serves everything else.
import type { Config } from "../../ground/config.ts";
import type { Kafka, Producer } from "../../ground/kafka.ts";
import { ensureTopics, TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { MonitoringBroadcast } from "../../schemas/generated/types.ts";

// An admin waits for the answer: a few retries (seconds) rather than the client's default (minutes).
const RETRY = { retries: 3 };

export interface BroadcastSender {
  /** Resolves once every in-sync replica has the record. */
  send(record: MonitoringBroadcast): Promise<void>;
}

export class BroadcastProducer implements BroadcastSender {
  #producer: Promise<Producer> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: Config,
  ) {}

  async send(record: MonitoringBroadcast): Promise<void> {
    const value = schemaStore().encode("MonitoringBroadcast", record);
    const producer = await this.#connect();
    await producer.send({
      topic: TOPICS.broadcasts,
      acks: -1,
      messages: [{ key: record.broadcast_id, value }],
    });
  }

  async stop(): Promise<void> {
    const producer = await this.#producer?.catch(() => undefined);
    this.#producer = undefined;
    await producer?.disconnect();
  }

  #connect(): Promise<Producer> {
    this.#producer ??= (async () => {
      const admin = this.kafka.admin({ retry: RETRY });
      await admin.connect();
      try {
        await ensureTopics(admin, this.config);
      } finally {
        await admin.disconnect();
      }
      const producer = this.kafka.producer({ retry: RETRY });
      await producer.connect();
      return producer;
    })().catch((err) => {
      this.#producer = undefined;
      throw err;
    });
    return this.#producer;
  }
}
