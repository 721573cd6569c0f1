// The one module that knows the Kafka client library; everything else asks it for producers, consumers and admins.
import { type ICustomPartitioner, Kafka, logLevel, Partitioners } from "kafkajs";
import { boundSends } from "./bounded-sends.ts";
import type { Config } from "./config.ts";
import { kafkaLogCreator } from "./kafka-log.ts";

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

/** Keys whose partition a producer keeps; past this many it starts again (a fleet's devices fit many times). */
const MAX_KEPT_KEYS = 200_000;

/**
 * kafkajs's default partitioner (Java's murmur2 of the key, so other clients agree), with the partition of each
 * string key kept per partition count: producers send the same device ids over and over, and hashing each one
 * (and the default's per-message copy of the partition list) cost more than the rest of the connector's work.
 */
export const keptKeyPartitioner: ICustomPartitioner = () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const byCount = new Map<number, Map<string, number>>();
  return (args) => {
    const { key, partition } = args.message;
    if ((partition !== undefined && partition !== null) || typeof key !== "string") return partitioner(args);
    const count = args.partitionMetadata.length;
    let kept = byCount.get(count);
    if (kept === undefined) {
      kept = new Map();
      byCount.set(count, kept);
    }
    let chosen = kept.get(key);
    if (chosen === undefined) {
      if (kept.size >= MAX_KEPT_KEYS) kept.clear();
      chosen = partitioner(args);
      kept.set(key, chosen);
    }
    return chosen;
  };
};

/**
 * A Kafka client whose producers split every send by bytes (ground/bounded-sends.ts) and keep their keys'
 * partitions (keptKeyPartitioner).
 */
export function createKafka(config: Config, clientId = config.kafka.clientId): Kafka {
  const kafka = new Kafka({
    clientId,
    brokers: config.kafka.brokers,
    logLevel: logLevel.ERROR,
    logCreator: kafkaLogCreator(config.logLevel),
    retry: { retries: 8 },
  });
  const producer = kafka.producer.bind(kafka);
  kafka.producer = (options) => boundSends(producer({ createPartitioner: keptKeyPartitioner, ...options }));
  return kafka;
}
