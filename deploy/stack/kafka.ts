// Apache Kafka 3.9, KRaft, one node acting as broker and controller; jars from Maven Central via deploy/kafka/pom.xml.

import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { mavenCopyDependencies, which } from "./install.ts";
import type { Service, StackContext } from "./service.ts";

const pom = join(dirname(fileURLToPath(import.meta.url)), "..", "kafka", "pom.xml");

const dirs = (ctx: StackContext) => {
  const root = ctx.paths.service("kafka");
  return {
    root,
    libs: join(root, "libs"),
    data: join(root, "data"),
    props: join(root, "server.properties"),
    log4j: join(root, "log4j.properties"),
  };
};

function serverProperties(ctx: StackContext, dataDir: string): string {
  const { WATTLINE_KAFKA_PORT: port, WATTLINE_KAFKA_CONTROLLER_PORT: controller } = ctx.config.env;
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${controller}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${dataDir}`,
    "num.partitions=3",
    "auto.create.topics.enable=false",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=10",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
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

export const kafka: Service = {
  name: "kafka",
  startTimeoutMs: 90_000,
  externalUrl: (ctx) => ctx.config.env.WATTLINE_KAFKA_BROKERS,
  missingPackages: javaToolchain,
  url: (ctx) => ctx.config.kafka.brokers.join(","),
  ports: (ctx) => [
    [ctx.config.env.WATTLINE_KAFKA_PORT, "WATTLINE_KAFKA_PORT"],
    [ctx.config.env.WATTLINE_KAFKA_CONTROLLER_PORT, "WATTLINE_KAFKA_CONTROLLER_PORT"],
  ],
  async prepare(ctx) {
    const d = dirs(ctx);
    await mavenCopyDependencies(pom, d.libs, ctx.log);
    mkdirSync(d.data, { recursive: true });
    writeFileSync(d.props, serverProperties(ctx, d.data));
    writeFileSync(d.log4j, log4j);
    if (existsSync(join(d.data, "meta.properties"))) return;
    const clusterId = newClusterId();
    ctx.log(`formatting Kafka storage (cluster ${clusterId})`);
    execFileSync(
      "java",
      [
        "-cp",
        `${d.libs}/*`,
        `-Dlog4j.configuration=file:${d.log4j}`,
        "kafka.tools.StorageTool",
        "format",
        "-t",
        clusterId,
        "-c",
        d.props,
      ],
      {
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
  },
  command(ctx) {
    const d = dirs(ctx);
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
  async healthy(ctx) {
    const admin = new Kafka({
      clientId: "wattline-stack",
      brokers: ctx.config.kafka.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  },
};
