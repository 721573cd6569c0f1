// Publishes meter replacements recorded through the API to the telemetry topic, keyed by device, where the ledger
// folds them in order with the device's readings.
import type { Kafka } from "../../ground/kafka.ts";
import { TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { MeterReplacement } from "../../schemas/generated/types.ts";
import { LazyProducer } from "../lazy-producer.ts";

export interface ReplacementSender {
  /** Resolves once every in-sync replica has the record. */
  send(record: MeterReplacement): Promise<void>;
}

export class ReplacementProducer implements ReplacementSender {
  readonly #producer: LazyProducer;

  /** `topic`: the telemetry topic's name when first needed, unless given (tests on topics of their own). */
  constructor(
    kafka: Kafka,
    private readonly topic?: string,
  ) {
    this.#producer = new LazyProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
  }

  send(record: MeterReplacement): Promise<void> {
    const value = schemaStore().encode("MeterReplacement", record);
    return this.#producer.send(this.topic ?? TOPICS.telemetry, record.device_id, value);
  }

  stop(): Promise<void> {
    return this.#producer.stop();
  }
}
