// What every connector writes through: Wattline's topics ensured, one idempotent producer, batched sends, and a
// `failed` promise that rejects once Kafka has refused a batch for good (the caller should then exit, so that its
// unacknowledged source input is delivered again).
import type { Config } from "../../ground/config.ts";
import { createKafka, type Producer } from "../../ground/kafka.ts";
import { ensureTopics } from "../../ground/topics.ts";
import { BatchProducer, type BatchProducerOptions } from "./batch-producer.ts";

export interface RecordSink {
  batches: BatchProducer;
  producer: Producer;
  failed: Promise<never>;
  /** Sends what is pending, then disconnects. */
  close(): Promise<void>;
}

export async function openRecordSink(
  config: Config,
  clientId: string,
  onBatch?: BatchProducerOptions["onBatch"],
): Promise<RecordSink> {
  const kafka = createKafka(config, clientId);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let fail: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  const batches = new BatchProducer(producer, {
    batchMax: config.kafka.batchMax,
    lingerMs: config.kafka.lingerMs,
    ...(onBatch ? { onBatch } : {}),
    onError: (err) => fail(err),
  });
  return {
    batches,
    producer,
    failed,
    async close() {
      await batches.flush().finally(() => producer.disconnect());
    },
  };
}
