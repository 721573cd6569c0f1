// What every connector counts: messages in, records out and dead letters per route, and produce latency.
import { Counter, Histogram } from "prom-client";
import { registry } from "../ground/metrics.ts";

export const messagesIn = new Counter({
  name: "wattline_connector_messages_in_total",
  help: "Messages received by a connector, per route (unrouted: 'none')",
  labelNames: ["connector", "route"],
  registers: [registry],
});

export const recordsOut = new Counter({
  name: "wattline_connector_records_out_total",
  help: "Valid records produced to Kafka, per route",
  labelNames: ["connector", "route"],
  registers: [registry],
});

export const deadLettered = new Counter({
  name: "wattline_connector_dead_lettered_total",
  help: "Invalid messages written to the dead-letter topic, per route and reason",
  labelNames: ["connector", "route", "reason"],
  registers: [registry],
});

export const produceLatency = new Histogram({
  name: "wattline_connector_produce_latency_seconds",
  help: "From a record's arrival to Kafka's acknowledgement of its batch (oldest record of each batch)",
  labelNames: ["connector"],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});
