// The one module that knows the Kafka client library; everything else asks it for producers, consumers and admins.
import { Kafka, logLevel } from "kafkajs";
import { boundSends } from "./bounded-sends.ts";
import type { Config } from "./config.ts";

export type {
  Admin,
  Consumer,
  ConsumerConfig,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
  PartitionAssigner,
  Producer,
  Transaction,
} from "kafkajs";
export { AssignerProtocol } from "kafkajs";

/** A Kafka client whose producers split every send by bytes (ground/bounded-sends.ts). */
export function createKafka(config: Config, clientId = config.kafka.clientId): Kafka {
  const kafka = new Kafka({
    clientId,
    brokers: config.kafka.brokers,
    logLevel: logLevel.ERROR,
    retry: { retries: 8 },
  });
  const producer = kafka.producer.bind(kafka);
  kafka.producer = (options) => boundSends(producer(options));
  return kafka;
}
