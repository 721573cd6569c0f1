// `wattline simulate`: a fleet of simulated devices publishing over MQTT (or printing NDJSON) until a duration
// ends or a signal arrives; then each device says offline and the connections close.
import { writeFileSync } from "node:fs";
import { pino } from "pino";
import { loadConfig } from "../../ground/config.ts";
import { installShutdown, onShutdown } from "../../ground/lifecycle.ts";
import { createLogger, type Logger } from "../../ground/logger.ts";
import { FleetEngine } from "./engine.ts";
import type { DeviceKind } from "./fleet.ts";
import { manifest } from "./manifest.ts";
import { MqttSink } from "./mqtt-sink.ts";
import { parseOptions, type RawOptions, type SimulateOptions } from "./options.ts";
import { Clock, run } from "./run.ts";
import type { Sink } from "./sink.ts";
import { Stats, startReporter } from "./stats.ts";
import { StdoutSink } from "./stdout-sink.ts";

/** Enough unacknowledged QoS 1 publishes to keep a connection busy without buffering a backlog in memory. */
const MAX_IN_FLIGHT = 2000;

function logger(o: SimulateOptions): Logger {
  // With NDJSON on stdout, logs must go elsewhere.
  return o.stdout
    ? pino({ name: "simulate", level: process.env.WATTLINE_LOG_LEVEL ?? "info" }, pino.destination(2))
    : createLogger("simulate");
}

export async function simulate(raw: RawOptions): Promise<void> {
  const o = parseOptions(raw);
  const log = logger(o);
  installShutdown(log);
  const engine = FleetEngine.create(o);
  if (o.manifest)
    writeFileSync(o.manifest, `${JSON.stringify(manifest(engine.specs, o.intervalS), null, 2)}\n`);
  const kinds: Partial<Record<DeviceKind, number>> = {};
  for (const spec of engine.specs) kinds[spec.kind] = (kinds[spec.kind] ?? 0) + 1;
  log.info(
    {
      devices: o.devices,
      kinds,
      seed: o.seed,
      start: new Date(o.startMs).toISOString(),
      interval_s: o.intervalS,
      speed: o.speed,
      faults: o.faults !== null,
      timezones: o.timezones,
    },
    "fleet ready (rerun with the same --seed and --start for the same data)",
  );

  const stop = new AbortController();
  const stats = new Stats(o.startMs);
  const sink: Sink = o.stdout
    ? new StdoutSink(process.stdout, stats, () => stop.abort())
    : await MqttSink.open({
        ...loadConfig().mqtt,
        deviceIds: engine.specs.map((s) => s.id),
        connections: o.connections,
        maxInFlight: MAX_IN_FLIGHT,
        stats,
        logger: log,
        onReconnect: (ids) => engine.greetings(stats.simMs, new Set(ids)),
      });

  const pace = {
    speed: o.speed,
    startMs: o.startMs,
    endMs: o.simDurationS === undefined ? Number.POSITIVE_INFINITY : o.startMs + o.simDurationS * 1000,
    signal: stop.signal,
  };
  const clock = new Clock(pace);
  const stopReporter = startReporter(stats, log, () => {
    const target = clock.target();
    return target === undefined ? undefined : Math.max(0, Math.round((target - stats.simMs) / 100) / 10);
  });
  const timer = o.durationS === undefined ? undefined : setTimeout(() => stop.abort(), o.durationS * 1000);

  const finished = (async () => {
    try {
      for (const m of engine.greetings(o.startMs)) await sink.send(m);
      await run(engine, sink, clock, pace, stats);
      // Not awaited one by one: with the broker gone they would wait forever; close() bounds the wait.
      for (const m of engine.farewells(stats.simMs)) void sink.send(m);
      await sink.close();
    } finally {
      clearTimeout(timer);
      stopReporter();
    }
    log.info(
      {
        published: stats.delivered,
        failed: stats.failed,
        rate_per_s: Math.round(stats.averageRate()),
        sim_end: new Date(stats.simMs).toISOString(),
        faults: stats.faults,
      },
      "simulation stopped",
    );
  })();
  onShutdown(async () => {
    stop.abort();
    await finished;
  });
  await finished;
}
