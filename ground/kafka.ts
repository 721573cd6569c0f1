// The one module that knows the Kafka client library; everything else asks it for producers, consumers and admins.
import { Kafka, logLevel } from "kafkajs";
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

export function createKafka(config: Config, clientId = config.kafka.clientId): Kafka {
  return new Kafka({
    clientId,
    brokers: config.kafka.brokers,
    logLevel: logLevel.ERROR,
    retry: { retries: 8 },
  });
}
