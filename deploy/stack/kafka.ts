// Apache Kafka 3.9 in KRaft mode: one node, or with WATTLINE_KAFKA_NODES=3 a cluster of three combined broker and
// controller nodes (a three-voter quorum), each with ports and a log dir of its own, replication factor 3 and
// min.insync.replicas 2, the shape of a real deployment. Jars from Maven Central via deploy/kafka/pom.xml.

import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { localKafkaNodes } from "../../ground/config.ts";
import { mavenCopyDependencies, which } from "./install.ts";
import type { Service, StackContext } from "./service.ts";

const pom = join(dirname(fileURLToPath(import.meta.url)), "..", "kafka", "pom.xml");

type Node = ReturnType<typeof localKafkaNodes>[number];

/** One node keeps the single-node layout (`kafka/`); a cluster's nodes are `kafka-1/`, `kafka-2/`, … beside it. */
const nodeName = (ctx: StackContext, node: Node) =>
  ctx.config.env.WATTLINE_KAFKA_NODES === 1 ? "kafka" : `kafka-${node.id}`;

const dirs = (ctx: StackContext, node: Node) => {
  const root = ctx.paths.service(nodeName(ctx, node));
  return {
    libs: join(ctx.paths.service("kafka"), "libs"),
    clusterId: join(ctx.paths.service("kafka"), "cluster-id"),
    data: join(root, "data"),
    props: join(root, "server.properties"),
    log4j: join(root, "log4j.properties"),
  };
};

function serverProperties(ctx: StackContext, node: Node, dataDir: string): string {
  const nodes = localKafkaNodes(ctx.config.env);
  const replicas = Math.min(3, nodes.length);
  const minInsync = Math.max(1, replicas - 1);
  return [
    "process.roles=broker,controller",
    `node.id=${node.id}`,
    `controller.quorum.voters=${nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(",")}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${dataDir}`,
    "num.partitions=3",
    "auto.create.topics.enable=false",
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minInsync}`,
    `offsets.topic.replication.factor=${replicas}`,
    "offsets.topic.num.partitions=10",
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minInsync}`,
    "group.initial.rebalance.delay.ms=0",
    "log.retention.hours=-1",
    "",
  ].join("\n");
}

const log4j = [
  "log4j.rootLogger=INFO, stdout",
  "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
  "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
  "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
  "log4j.logger.kafka=WARN",
  "log4j.logger.org.apache.kafka=WARN",
  "log4j.logger.kafka.server.KafkaServer=INFO",
  "log4j.logger.kafka.server.BrokerServer=INFO",
  "",
].join("\n");

/** A random cluster id, as `kafka-storage random-uuid` makes: never starting with "-", which the tool would
 * read as an option. */
function newClusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replaceAll("-", ""), "hex").toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** Kafka and QuestDB both need a JRE (17+) and Maven to fetch their jars. */
export function javaToolchain(): string[] {
  return [...(which("java") ? [] : ["openjdk-17-jre-headless"]), ...(which("mvn") ? [] : ["maven"])];
}

// The nodes of one `stack up` prepare in parallel: the jars are fetched once for all of them.
const jars = new WeakMap<StackContext, Promise<void>>();

function fetchJars(ctx: StackContext, libs: string): Promise<void> {
  const fetched = jars.get(ctx) ?? mavenCopyDependencies(pom, libs, ctx.log);
  jars.set(ctx, fetched);
  return fetched;
}

/** The id every node of the cluster is formatted with, made by the first node formatted (synchronously: no race). */
function clusterId(file: string): string {
  if (!existsSync(file)) writeFileSync(file, newClusterId());
  return readFileSync(file, "utf8").trim();
}

function assertDistinctPorts(ctx: StackContext): void {
  const ports = localKafkaNodes(ctx.config.env).flatMap((n) => [n.port, n.controllerPort]);
  if (new Set(ports).size !== ports.length)
    throw new Error(
      `the Kafka nodes' ports overlap (${ports.join(", ")}): node n uses WATTLINE_KAFKA_PORT and ` +
        "WATTLINE_KAFKA_CONTROLLER_PORT plus 2(n - 1), so set the two an odd number apart",
    );
}

function kafkaNode(node: Node, nodes: number): Service {
  const offset = node.id === 1 ? "" : ` (+${2 * (node.id - 1)})`;
  const service: Service = {
    name: nodes === 1 ? "kafka" : `kafka-${node.id}`,
    startTimeoutMs: 90_000,
    externalUrl: (ctx) => ctx.config.env.WATTLINE_KAFKA_BROKERS,
    missingPackages: javaToolchain,
    url: (ctx) =>
      ctx.config.env.WATTLINE_KAFKA_BROKERS ? ctx.config.kafka.brokers.join(",") : `127.0.0.1:${node.port}`,
    ports: () => [
      [node.port, `WATTLINE_KAFKA_PORT${offset}`],
      [node.controllerPort, `WATTLINE_KAFKA_CONTROLLER_PORT${offset}`],
    ],
    async prepare(ctx) {
      assertDistinctPorts(ctx);
      const d = dirs(ctx, node);
      await fetchJars(ctx, d.libs);
      mkdirSync(d.data, { recursive: true });
      writeFileSync(d.props, serverProperties(ctx, node, d.data));
      writeFileSync(d.log4j, log4j);
      if (existsSync(join(d.data, "meta.properties"))) return;
      const id = clusterId(d.clusterId);
      ctx.log(`${service.name}: formatting Kafka storage (cluster ${id})`);
      execFileSync(
        "java",
        [
          "-cp",
          `${d.libs}/*`,
          `-Dlog4j.configuration=file:${d.log4j}`,
          "kafka.tools.StorageTool",
          "format",
          "-t",
          id,
          "-c",
          d.props,
        ],
        { stdio: ["ignore", "ignore", "inherit"] },
      );
    },
    command(ctx) {
      const d = dirs(ctx, node);
      return {
        command: "java",
        args: [
          "-Xms256m",
          "-Xmx1g",
          "-XX:+UseG1GC",
          "-Djava.awt.headless=true",
          `-Dlog4j.configuration=file:${d.log4j}`,
          `-Dkafka.logs.dir=${ctx.paths.logs}`,
          "-cp",
          `${d.libs}/*`,
          "kafka.Kafka",
          d.props,
        ],
      };
    },
    /** This node answers and has joined the cluster. */
    async healthy() {
      const admin = new Kafka({
        clientId: "wattline-stack",
        brokers: [`127.0.0.1:${node.port}`],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 1000,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.some((b) => b.nodeId === node.id) && cluster.controller !== null;
      } finally {
        await admin.disconnect().catch(() => {});
      }
    },
  };
  return service;
}

/** A service per Kafka node of the local stack. */
export function kafkaServices(ctx: StackContext): Service[] {
  const nodes = localKafkaNodes(ctx.config.env);
  return nodes.map((n) => kafkaNode(n, nodes.length));
}
