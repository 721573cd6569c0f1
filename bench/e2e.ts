// bench/e2e: the whole system on the local stack. Wattline's MQTT connector, ledger and status processors and API
// run as child processes (as `npm start` runs them) on the run's own topics; a paced publisher sends one reading per
// QoS 1 message. It finds the highest rate held for the full duration with every consumer less than 2 s behind the
// publish and every reading stored (rows counted), then, at half that rate, the time from MQTT publish to the
// WebSocket push for 100 live-feed clients. The baseline in the same run is a bare mqtt.js → kafkajs → consume → ILP
// pipe (bench/e2e/bare-pipe.ts) through the same search, and the publisher alone bounds both. Both recover from a
// failed trial at 1,000 readings/s for the allowed lateness plus 10 s before the next (bench/e2e/search.ts).
// Run: node --import tsx bench/e2e.ts [--sustain 300] [--probe 20] [--start 2000] [--devices 1000] [--clients 100]
// [--only baseline|wattline] [--rate R]. With --rate, each phase runs one trial at R readings/s for --sustain
// seconds instead of the search (to check one rate, or to profile the components under a steady load). The
// components' warnings and errors go to stderr.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    sustain: { type: "string", default: "300" },
    probe: { type: "string", default: "20" },
    start: { type: "string", default: "2000" },
    devices: { type: "string", default: "1000" },
    systems: { type: "string", default: "10" },
    clients: { type: "string", default: "100" },
    latency: { type: "string", default: "60" },
    only: { type: "string" },
    rate: { type: "string" },
  },
});
const { only, rate: fixedRate, ...numeric } = args;
const opt = Object.fromEntries(Object.entries(numeric).map(([k, v]) => [k, Number(v)])) as Record<
  keyof typeof numeric,
  number
>;
if (only !== undefined && only !== "baseline" && only !== "wattline")
  throw new Error(`--only takes baseline or wattline, not ${only}`);
const rate = fixedRate === undefined ? undefined : Number(fixedRate);
if (rate !== undefined && !(Number.isFinite(rate) && rate > 0))
  throw new Error(`--rate takes a positive number of readings/s, not ${fixedRate}`);

const run = randomBytes(3).toString("hex");
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
const routesFile = join(tmpdir(), `e2e-routes-${run}.json`);
writeFileSync(
  routesFile,
  JSON.stringify([{ name: "e2e", kind: "telemetry", pattern: `e2e${run}/{device}/telemetry` }]),
);
const apiPort = await freePort();
const runEnv = {
  WATTLINE_TOPIC_PREFIX: `e2e-${run}.`,
  WATTLINE_LEDGER_GROUP: `e2e-${run}-ledger`,
  WATTLINE_STATUS_GROUP_ID: `e2e-${run}-status`,
  WATTLINE_MQTT_CLIENT_ID: `e2e-${run}-connector`,
  WATTLINE_MQTT_ROUTES_FILE: routesFile,
  WATTLINE_API_PORT: String(apiPort),
  WATTLINE_METRICS_PORT: "0",
  WATTLINE_LOG_LEVEL: "warn",
  // The benchmark's clients share one key and connect at once.
  WATTLINE_API_RATE_LIMIT_BURST: "1000",
};
Object.assign(process.env, runEnv);

const mqtt = (await import("mqtt")).default;
const { loadConfig } = await import("../ground/config.ts");
const { createKafka } = await import("../ground/kafka.ts");
const { postgresPool } = await import("../ground/postgres.ts");
const { questdbPool } = await import("../ground/questdb.ts");
const { createTopicsReady, ensureTopics, TOPICS } = await import("../ground/topics.ts");
const { ledgerChangelog } = await import("../pipelines/ledger/changelog.ts");
const { migrate } = await import("../schemas/postgres/migrate.ts");
const { createApiKey } = await import("../api/auth/keys.ts");
const { createLogger } = await import("../ground/logger.ts");
const { Fleet } = await import("./e2e/fleet.ts");
const { Publisher } = await import("./e2e/publisher.ts");
const { launch, stop, wattline } = await import("./e2e/processes.ts");
const { highestSustained } = await import("./e2e/search.ts");
const { runTrial, describe } = await import("./e2e/trial.ts");
const { WsClients } = await import("./e2e/ws-clients.ts");
type Stage = import("./e2e/trial.ts").Stage;
type TrialResult = import("./e2e/trial.ts").TrialResult;
type Trial = import("./e2e/trial.ts").Trial;
type SearchResult = import("./e2e/search.ts").SearchResult;
type ChildProcess = import("node:child_process").ChildProcess;

const config = loadConfig();
const credentials = { username: config.mqtt.username, password: config.mqtt.password };
await migrate(config, createLogger("migrate", "warn"));
const postgres = postgresPool(config, 2);
const questdb = questdbPool(config, 2);
const kafka = createKafka(config, "bench-e2e");
const admin = kafka.admin();
await admin.connect();
const log = (line: string) => console.log(`[e2e] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const site = `e2e-${run}`;
const devices = Array.from({ length: opt.devices }, (_, i) => `e2e-${run}-d${String(i).padStart(5, "0")}`);

/** Records a consumer group has committed on a topic, all partitions summed. */
const committed = (groupId: string, topic: string): Stage => ({
  name: groupId.replace(`e2e-${run}-`, ""),
  done: async () =>
    (await admin.fetchOffsets({ groupId, topics: [topic] }))
      .flatMap((t) => t.partitions)
      .reduce((n, p) => n + Math.max(0, Number(p.offset)), 0),
});

/**
 * Records a processor has taken in, from its own metrics (`metric`, a counter line's start). Committed offsets
 * cannot tell: a processor commits once per checkpoint (WATTLINE_CHECKPOINT_MS, 1 s), a delay that does not depend
 * on the load, and the ledger's stay behind the readings it holds for the allowed lateness
 * (WATTLINE_ALLOWED_LATENESS_MS) by design. The status processor counts a record once its transitions and last-seen
 * time are committed to Postgres; what the ledger has taken in is written at its next checkpoint, and the rows
 * stored are counted after all trials.
 */
const processed = (name: string, metricsPort: number, metric: string): Stage => ({
  name,
  done: async () => {
    // A kept-alive connection that the metrics server closes as it is reused resets: asked once more.
    const url = `http://127.0.0.1:${metricsPort}/metrics`;
    const text = await (await fetch(url).catch(() => fetch(url))).text();
    const line = text.split("\n").find((l) => l.startsWith(`${metric} `));
    return Number(line?.split(" ").at(-1) ?? 0);
  },
});

/** Records on a topic, all partitions summed: what the connector has published (a stage for where a lag starts). */
const published = (name: string, topic: string): Stage => ({
  name,
  done: async () => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0),
});

/** Waits (at most two minutes) until QuestDB has applied every WAL transaction committed so far. */
async function walApplied(): Promise<void> {
  const behind = async () =>
    Number(
      (
        await questdb.query<{ n: string }>(
          "SELECT count() n FROM wal_tables() WHERE writerTxn < sequencerTxn",
        )
      ).rows[0]?.n ?? 0,
    );
  for (const until = Date.now() + 120_000; Date.now() < until && (await behind()) > 0; ) await sleep(250);
}

/** Polls a row count until it reaches `expected` or stops changing for a minute (WAL tables apply behind). */
async function rowsReaching(count: () => Promise<number>, expected: number): Promise<number> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const n = await count();
    if (n >= expected || Date.now() - since > 60_000) return n;
    if (n !== last) [last, since] = [n, Date.now()];
    await sleep(500);
  }
}

const countRows = async (sql: string, params: unknown[] = []) =>
  Number((await questdb.query<{ count: string }>(sql, params)).rows[0]?.count ?? 0);

/** Queues the pipeline's messages at the broker before its subscriber first connects. */
async function session(clientId: string, filter: string): Promise<void> {
  const c = await mqtt.connectAsync(config.mqtt.url, { ...credentials, clientId, clean: false });
  await c.subscribeAsync(filter, { qos: 1 });
  await c.endAsync();
}

async function forget(clientId: string): Promise<void> {
  await mqtt
    .connectAsync(config.mqtt.url, { ...credentials, clientId, clean: true })
    .then((c) => c.endAsync());
}

interface PhaseResult {
  search: SearchResult;
  latency: { p50: number; p99: number; samples: number } | undefined;
  half: TrialResult | undefined;
  /** Every reading the broker acknowledged in the phase, against the rows stored. */
  rows: { stored: number; expected: number };
}

/** Warm-up (every device seen, every consumer caught up), the search, the half-rate latency trial, then
 * the count of rows stored against every reading the broker acknowledged. */
async function phase(
  name: string,
  topicOf: (device: string) => string,
  stages: Stage[],
  rows: () => Promise<number>,
  ceiling: number,
  latency: { reset(): void; report(): Promise<PhaseResult["latency"]> },
): Promise<PhaseResult> {
  const publisher = await Publisher.open(config.mqtt.url, credentials);
  const trial = {
    publisher,
    fleet: new Fleet(devices, topicOf),
    stages,
    rows: (e: number) => rowsReaching(rows, e),
    settle: walApplied,
  };
  log(`${name}: warm-up, 10 s at 1,000 readings/s`);
  const warm = await runTrial(trial, 1000, 10);
  if (!warm.drained) throw new Error(`${name}: the warm-up did not drain: ${describe(warm)}`);
  const recoverySeconds = Math.ceil(config.ledger.allowedLatenessMs / 1000) + 10;
  const recover = async () => {
    log(`${name}: recovery, ${recoverySeconds} s at 1,000 readings/s`);
    await runTrial(trial, 1000, recoverySeconds);
  };
  const search =
    rate === undefined
      ? await highestSustained(
          trial,
          { start: opt.start, ceiling, probeSeconds: opt.probe, sustainSeconds: opt.sustain, recover },
          (line) => log(`${name}: ${line}`),
        )
      : await fixedTrial(trial, rate, (line) => log(`${name}: ${line}`));
  let half: TrialResult | undefined;
  let measured: PhaseResult["latency"];
  if (search.rate > 0) {
    latency.reset();
    half = await runTrial(trial, Math.round(search.rate / 2), opt.latency);
    measured = await latency.report();
    log(`${name}: half rate ${describe(half)}; latency ${JSON.stringify(measured)}`);
  }
  await publisher.close();
  const expected = publisher.acked;
  const stored = await rowsReaching(rows, expected);
  log(`${name}: rows stored ${stored} of ${expected} readings acknowledged`);
  return { search, latency: measured, half, rows: { stored, expected } };
}

/** One trial at `rate` for the full duration, in the search's result shape. */
async function fixedTrial(trial: Trial, at: number, say: (line: string) => void): Promise<SearchResult> {
  const r = await runTrial(trial, at, opt.sustain);
  say(describe(r));
  return { rate: r.ok ? at : 0, sustained: r.ok ? r : undefined, trials: [r] };
}

async function publisherCeiling(): Promise<number> {
  const publisher = await Publisher.open(config.mqtt.url, credentials);
  const t0 = performance.now();
  const fleet = new Fleet(devices, (d) => `e2ex${run}/${d}/telemetry`);
  await publisher.run(200_000, 10, (now) => fleet.reading(now));
  await publisher.settled();
  const rate = publisher.acked / ((performance.now() - t0) / 1000);
  await publisher.close();
  return Math.round(rate);
}

const onMessage = (child: ChildProcess, match: (m: unknown) => boolean) =>
  new Promise<unknown>((resolve) => {
    const listener = (m: unknown) => {
      if (!match(m)) return;
      child.off("message", listener);
      resolve(m);
    };
    child.on("message", listener);
  });

async function baseline(ceiling: number): Promise<PhaseResult> {
  const bare = {
    BENCH_BARE_FILTER: `e2eb${run}/+/telemetry`,
    BENCH_BARE_CLIENT: `e2e-${run}-bare-bridge`,
    BENCH_BARE_TOPIC: `e2e-${run}.bare`,
    BENCH_BARE_GROUP: `e2e-${run}-bare`,
    BENCH_BARE_TABLE: `e2e_bare_${run}`,
  };
  await createTopicsReady(admin, [{ topic: bare.BENCH_BARE_TOPIC, numPartitions: config.kafka.partitions }]);
  const children = ["bridge", "sink"].map((mode) =>
    launch(`bare-${mode}`, "bench/e2e/bare-pipe.ts", [mode], bare),
  );
  await Promise.all(children.map((c) => onMessage(c, (m) => m === "ready")));
  const sink = children[1] as ChildProcess;
  try {
    return await phase(
      "baseline",
      (d) => `e2eb${run}/${d}/telemetry`,
      [committed(bare.BENCH_BARE_GROUP, bare.BENCH_BARE_TOPIC)],
      () => countRows(`SELECT count() AS count FROM ${bare.BENCH_BARE_TABLE}`),
      ceiling,
      {
        reset: () => sink.send("reset"),
        report: async () => {
          const reply = onMessage(sink, (m) => typeof m === "object" && m !== null && "latency" in m);
          sink.send("report");
          return ((await reply) as { latency: PhaseResult["latency"] }).latency;
        },
      },
    );
  } finally {
    await stop(children);
    await forget(bare.BENCH_BARE_CLIENT);
    await questdb.query(`DROP TABLE IF EXISTS ${bare.BENCH_BARE_TABLE}`);
    await admin.deleteTopics({ topics: [bare.BENCH_BARE_TOPIC] }).catch(() => {});
    await admin.deleteGroups([bare.BENCH_BARE_GROUP]).catch(() => {});
  }
}

async function registerFleet(): Promise<{ systems: number[]; key: string; keyId: number }> {
  await postgres.query("INSERT INTO sites (id, name, timezone) VALUES ($1, 'bench e2e', 'UTC')", [site]);
  const systems = (
    await postgres.query<{ id: string }>(
      "INSERT INTO systems (site_id, key) SELECT $1, 'pv-' || g FROM generate_series(1, $2::int) g RETURNING id",
      [site, opt.systems],
    )
  ).rows.map((r) => Number(r.id));
  await postgres.query(
    `INSERT INTO devices (device_id, site_id, kind, system_id, timezone)
     SELECT d, $2, 'inverter', s, 'UTC' FROM unnest($1::text[], $3::bigint[]) AS t(d, s)`,
    [devices, site, devices.map((_, i) => systems[i % systems.length])],
  );
  const key = await createApiKey(postgres, `${site}-viewer`, "viewer");
  return { systems, key: key.key, keyId: Number(key.id) };
}

async function apiUp(base: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error("the API did not answer /health in 60 s");
}

async function system(ceiling: number): Promise<PhaseResult> {
  await ensureTopics(admin, config, [ledgerChangelog()]);
  const filter = `e2e${run}/+/telemetry`;
  await session(config.mqtt.clientId, filter);
  const { systems, key, keyId } = await registerFleet();
  const ledgerMetrics = await freePort();
  const statusMetrics = await freePort();
  const children = [
    wattline("connector", ["connect", "mqtt"], {}),
    wattline("ledger", ["process", "ledger"], { WATTLINE_METRICS_PORT: String(ledgerMetrics) }),
    wattline("status", ["process", "status"], { WATTLINE_METRICS_PORT: String(statusMetrics) }),
    wattline("api", ["api"], {}),
  ];
  const base = `http://127.0.0.1:${apiPort}`;
  let clients: InstanceType<typeof WsClients> | undefined;
  try {
    await apiUp(base);
    clients = await WsClients.open(base, key, systems, opt.clients);
    const ws = clients;
    return await phase(
      "wattline",
      (d) => `e2e${run}/${d}/telemetry`,
      [
        published("connector", TOPICS.telemetry),
        processed("ledger", ledgerMetrics, 'wattline_processor_records_total{processor="ledger"}'),
        processed("status", statusMetrics, "wattline_status_records_applied_total"),
      ],
      () => countRows("SELECT count() AS count FROM readings WHERE device_id LIKE $1", [`e2e-${run}-%`]),
      ceiling,
      {
        reset: () => ws.measure(),
        report: async () => ({ ...ws.latency.toJSON(), clients: ws.open }),
      },
    );
  } finally {
    clients?.close();
    await stop(children);
    await forget(config.mqtt.clientId);
    await admin.deleteTopics({ topics: [...Object.values(TOPICS), ledgerChangelog()] }).catch(() => {});
    await admin.deleteGroups([config.ledger.groupId, config.processors.status.groupId]).catch(() => {});
    await postgres.query("DELETE FROM api_keys WHERE id = $1", [keyId]);
    await postgres.query("DELETE FROM sites WHERE id = $1", [site]);
    // device_status has no foreign key to devices: left behind, the run's rows made every later run's status
    // updates and sweeps read them (10,000 more per run) and its sweep turn them all offline at the start.
    await postgres.query("DELETE FROM device_status WHERE device_id = ANY($1::text[])", [devices]);
  }
}

const ceiling = await publisherCeiling();
log(`publisher alone (no subscriber): ${ceiling} messages/s`);
const bare = only === "wattline" ? undefined : await baseline(ceiling);
const ours = only === "baseline" ? undefined : await system(ceiling);
await admin.disconnect();
await Promise.all([postgres.end(), questdb.end()]);

const pad = (label: string) => `  ${label}`.padEnd(34);
const lines = (label: string, r: PhaseResult | undefined, pushes: string) =>
  r === undefined
    ? []
    : [
        `${pad(label)}${r.search.rate} readings/s held ${opt.sustain} s`,
        `${pad("")}rows stored ${r.rows.stored} of ${r.rows.expected} acknowledged${r.rows.stored < r.rows.expected ? "  MISSING ROWS" : ""}`,
        `${pad("")}half rate: p50 ${r.latency?.p50 ?? "-"} ms, p99 ${r.latency?.p99 ?? "-"} ms (${r.latency?.samples ?? 0} ${pushes})`,
      ];
const ratios =
  bare && ours
    ? [
        `${pad("ratio rate (wattline/baseline)")}${(ours.search.rate / bare.search.rate).toFixed(2)}`,
        `${pad("ratio p99 (wattline/baseline)")}${((ours.latency?.p99 ?? Number.NaN) / (bare.latency?.p99 ?? Number.NaN)).toFixed(2)}`,
      ]
    : [];
console.log(
  [
    "",
    `devices, systems:                 ${opt.devices}, ${opt.systems} (one reading per QoS 1 message)`,
    `publisher alone:                  ${ceiling} messages/s`,
    "highest rate with every consumer < 2 s behind the publish; latency at half that rate:",
    ...lines("baseline bare pipe", bare, "readings, publish → stored"),
    ...lines("wattline", ours, `pushes to ${opt.clients} clients, publish → WebSocket`),
    ...ratios,
  ].join("\n"),
);
process.exit(0);
