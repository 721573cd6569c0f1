// bench/ingest-profile: where the MQTT connector's CPU goes per message, stage by stage, in this process and without
// a broker: the same messages bench/ingest publishes, each stage timed over all of them on top of the one before.
// The bare pipe's own work per message is the first line (the topic split). Run:
// node --import tsx bench/ingest-profile.ts [messages]
import { isUtf8 } from "node:buffer";
import { builders } from "../connectors/mqtt/payloads.ts";
import { compileRoutes, DEFAULT_ROUTES } from "../connectors/mqtt/routes.ts";
import { translate } from "../connectors/mqtt/translate.ts";
import { outgoing } from "../connectors/outgoing.ts";
import { tsOutOfRange } from "../pipelines/core/ts-range.ts";
import { schemaStore } from "../schemas/codec/schema-store.ts";

const N = Number(process.argv[2] ?? 100_000);
const DEVICES = 500;
const routes = compileRoutes(DEFAULT_ROUTES);
const store = schemaStore();
const limits = { maxPayloadBytes: 65_536, maxFutureMs: 3_600_000 };
const t0 = Date.now() - 3_600_000;
const messages = Array.from({ length: N }, (_, i) => ({
  topic: `autovolt/dev-${i % DEVICES}/telemetry`,
  payload: Buffer.from(
    JSON.stringify({ energy_wh_total: i, power_w: 100, ts: new Date(t0 + i).toISOString(), seq: i }),
  ),
}));
const receivedAt = Date.now();
const envelope = (device: string) => ({ captures: { device }, receivedAt, source: "mqtt" });

const stages: [string, (m: (typeof messages)[number]) => unknown][] = [
  ["bare pipe: topic split", (m) => m.topic.split("/")[1]],
  ["route match", (m) => routes[0]?.topic.match(m.topic)],
  ["+ UTF-8 check, decode, JSON.parse", (m) => isUtf8(m.payload) && JSON.parse(m.payload.toString("utf8"))],
  [
    "+ zod validation → record",
    (m) =>
      builders.telemetry(JSON.parse(m.payload.toString("utf8")), envelope(m.topic.split("/")[1] ?? ""), {}),
  ],
  [
    "+ ts range",
    (m) => {
      const r = builders.telemetry(JSON.parse(m.payload.toString("utf8")), envelope("d"), {});
      return tsOutOfRange(r.ts, receivedAt, limits.maxFutureMs);
    },
  ],
  ["translate() (all of the above)", (m) => translate(routes, { ...m, receivedAt, source: "mqtt" }, limits)],
  [
    "translate() + Avro encode",
    (m) =>
      outgoing(store, translate(routes, { ...m, receivedAt, source: "mqtt" }, limits), {
        source: "mqtt",
        where: m.topic,
        input: m.payload,
      }),
  ],
];

function time(f: (m: (typeof messages)[number]) => unknown): number {
  for (let i = 0; i < Math.min(N, 10_000); i++) f(messages[i] as (typeof messages)[number]); // warm-up
  const started = performance.now();
  for (const m of messages) f(m);
  return ((performance.now() - started) * 1000) / N;
}

console.log(`messages: ${N}; µs of CPU per message, cumulative`);
for (const [name, f] of stages) console.log(`${name.padEnd(40)} ${time(f).toFixed(2).padStart(7)} µs`);
