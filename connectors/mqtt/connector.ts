// `wattline connect mqtt`: MQTT (QoS 1, persistent session) → validated Avro records on Kafka, invalid messages to
// the dead-letter topic. A message is acknowledged to the broker only after Kafka acknowledged its record, so a
// connector that dies in between loses nothing: the broker redelivers, and the ledger drops the duplicate.
import mqtt, { type MqttClient } from "mqtt";
import type { Counter } from "prom-client";
import type { Config } from "../../ground/config.ts";
import type { Logger } from "../../ground/logger.ts";
import { openRecordSink } from "../../pipelines/runtime/record-sink.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { deadLettered, messagesIn, produceLatency, recordsOut } from "../metrics.ts";
import { outgoing } from "../outgoing.ts";
import { deferPubacks } from "./deferred-acks.ts";
import { loadRoutes } from "./routes.ts";
import { connectorFilters, qos1 } from "./session.ts";
import { translate } from "./translate.ts";

export interface MqttConnector {
  client: MqttClient;
  /** Rejects when Kafka refuses a batch for good: the process should exit, unacknowledged messages stay queued. */
  failed: Promise<never>;
  stop(): Promise<void>;
}

export interface MqttConnectorOptions {
  /** A clean session forgets subscriptions and queued messages at disconnect (for tests); default false. */
  cleanSession?: boolean;
}

export async function startMqttConnector(
  config: Config,
  logger: Logger,
  options: MqttConnectorOptions = {},
): Promise<MqttConnector> {
  const routes = loadRoutes(config.mqtt.routesFile);
  const limits = { maxPayloadBytes: config.mqtt.maxPayloadBytes, maxFutureMs: config.ingest.maxFutureMs };
  const store = schemaStore();
  const sink = await openRecordSink(config, "wattline-mqtt-connector", (_n, waitMs) =>
    produceLatency.observe({ connector: "mqtt" }, waitMs / 1000),
  );
  const { batches, failed } = sink;

  const client = mqtt.connect(config.mqtt.url, {
    clientId: config.mqtt.clientId,
    clean: options.cleanSession ?? false,
    username: config.mqtt.username,
    password: config.mqtt.password,
    reconnectPeriod: 1000,
  });
  const acks = deferPubacks(client);
  // Counters per route, labelled once: prom-client hashes the labels of every inc() otherwise.
  const counted = new Map<string, { in: Counter.Internal; out: Counter.Internal }>();
  const countersOf = (route: string) => {
    let c = counted.get(route);
    if (c === undefined) {
      c = { in: messagesIn.labels("mqtt", route), out: recordsOut.labels("mqtt", route) };
      counted.set(route, c);
    }
    return c;
  };
  // Emitted before the client sends the PUBACK, which deferPubacks then holds until Kafka has the record.
  client.on("message", (topic, payload, packet) => handle(topic, payload, packet.qos));

  function handle(topic: string, payload: Buffer, qos: number): void {
    const generation = acks.generation;
    const onAck = qos > 0 ? () => acks.releaseOne(generation) : undefined;
    const t = translate(routes, { topic, payload, receivedAt: Date.now(), source: "mqtt" }, limits);
    const route = t.route?.name ?? "none";
    const counters = countersOf(route);
    counters.in.inc();
    const out = outgoing(store, t, { source: "mqtt", where: topic, input: payload });
    batches.add(out.topic, out.key, out.value, () => {
      if (out.reason === undefined) counters.out.inc();
      else deadLettered.inc({ connector: "mqtt", route, reason: out.reason });
      onAck?.();
    });
  }

  client.on("error", (err) => logger.warn({ err: err.message }, "mqtt error"));
  client.on("reconnect", () => logger.info("mqtt reconnecting"));
  await Promise.race([new Promise<void>((resolve) => client.once("connect", () => resolve())), failed]);
  const filters = connectorFilters(routes);
  await client.subscribeAsync(qos1(filters));
  logger.info({ filters, clientId: config.mqtt.clientId }, "mqtt connector subscribed");

  return {
    client,
    failed,
    async stop() {
      await batches.flush();
      await client.endAsync();
      await sink.close();
    },
  };
}
