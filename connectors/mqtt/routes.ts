// The declarative routing table: which MQTT topics become which records on which Kafka topic. More routes come
// from a JSON file (WATTLINE_MQTT_ROUTES_FILE), so a new device family needs configuration, not code.
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { TOPICS } from "../../ground/topics.ts";
import type { RecordName } from "../../schemas/generated/types.ts";
import type { RouteKind } from "./payloads.ts";
import { compileTopicPattern, type TopicPattern } from "./topic-pattern.ts";

export interface Route {
  name: string;
  kind: RouteKind;
  topic: TopicPattern;
  /** Device field name → Wattline field name, for telemetry from devices that name things differently. */
  fields: Record<string, string>;
}

/** The record and topic of each kind; topics by key, named when used (WATTLINE_TOPIC_PREFIX is read then). */
export const KIND_TARGETS: Record<RouteKind, { record: RecordName; topic: keyof typeof TOPICS }> = {
  telemetry: { record: "TelemetryReading", topic: "telemetry" },
  // On the telemetry topic, keyed by device: the ledger folds it in order with the device's readings.
  replacement: { record: "MeterReplacement", topic: "telemetry" },
  status: { record: "DeviceStatus", topic: "status" },
  heartbeat: { record: "Heartbeat", topic: "heartbeat" },
  connectors: { record: "ChargingConnectorCount", topic: "connectors" },
};

const routeSpec = z.object({
  name: z.string().min(1),
  kind: z.enum(["telemetry", "replacement", "status", "heartbeat", "connectors"]),
  pattern: z.string().min(1),
  fields: z.record(z.string(), z.string()).default({}),
});

type RouteSpec = z.input<typeof routeSpec>;

export const DEFAULT_ROUTES: RouteSpec[] = [
  { name: "autovolt-telemetry", kind: "telemetry", pattern: "autovolt/{device}/telemetry" },
  { name: "autovolt-meter-replacement", kind: "replacement", pattern: "autovolt/{device}/meter-replacement" },
  { name: "autovolt-status", kind: "status", pattern: "autovolt/{device}/status" },
  { name: "autovolt-heartbeat", kind: "heartbeat", pattern: "autovolt/{device}/heartbeat" },
  {
    name: "sweet-home-connectors",
    kind: "connectors",
    pattern: "{account}/sweet-home/{device}/status-control/connectors-count",
  },
];

export function compileRoutes(specs: unknown[]): Route[] {
  return specs.map((raw, i) => {
    const parsed = routeSpec.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `route #${i + 1}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`.trim(),
      );
    }
    const spec = parsed.data;
    const topic = compileTopicPattern(spec.pattern);
    if (!topic.filter.split("/").includes("+") || !spec.pattern.includes("{device}")) {
      throw new Error(`route ${spec.name}: the pattern must capture {device}`);
    }
    return { name: spec.name, kind: spec.kind, topic, fields: spec.fields };
  });
}

export function loadRoutes(routesFile: string | undefined): Route[] {
  const extra = routesFile ? (JSON.parse(readFileSync(routesFile, "utf8")) as unknown) : [];
  if (!Array.isArray(extra)) throw new Error(`${routesFile}: expected a JSON array of routes`);
  return compileRoutes([...DEFAULT_ROUTES, ...extra]);
}
