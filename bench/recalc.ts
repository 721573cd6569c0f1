// bench/recalc: one device with a year of history at one reading a minute (525,600 readings) gets one late
// reading; the automatic recalculation it triggers is timed (from sending the reading until the rows are written
// and acknowledged) and its writes to QuestDB counted, against a baseline in the same run: `wattline replay` of
// that device over its whole history (replayRange). Bytes are the ILP request bodies QuestDB receives, counted by
// a pass-through proxy in front of its HTTP port that both sides write through; rows are counted per table (the
// recalculation's as handed to the ILP sender, the replay's from its summary). The processor runs in this process
// on topics and a group of its own (recalculation wait 0, silent-device flush 1 s), and is stopped before the
// replay, so each side's bytes are its own. Run: node --import tsx bench/recalc.ts [--days N] (default 365)
import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { days: { type: "string", default: "365" } } });
const DAYS = Number(values.days);
if (!Number.isInteger(DAYS) || DAYS < 2) {
  console.error("bench/recalc: --days takes a whole number of days, 2 or more");
  process.exit(2);
}
const MINUTE = 60_000;
const N = DAYS * 1440;
const BATCH = 5000;
const run = randomBytes(3).toString("hex");
const device = `recalc-${run}`;
process.env.WATTLINE_TOPIC_PREFIX = `bench-${run}.`;
process.env.WATTLINE_LEDGER_GROUP = `bench-${run}-ledger`;
process.env.WATTLINE_RECALC_MIN_INTERVAL_MS = "0";
// A silent device's held readings are released after 1 s, so that the committed offsets reach the end.
process.env.WATTLINE_SILENT_FLUSH_MS = "1000";

const { loadConfig } = await import("../ground/config.ts");
const ilp = await ilpCounter(new URL(loadConfig().questdb.httpUrl));
process.env.WATTLINE_QUESTDB_HTTP_URL = ilp.url;

const { pino } = await import("pino");
const { createKafka } = await import("../ground/kafka.ts");
const { questdbPool } = await import("../ground/questdb.ts");
const { ensureTopics, TOPICS } = await import("../ground/topics.ts");
const { startLedgerProcessor } = await import("../pipelines/ledger/processor.ts");
const { Recalculator } = await import("../pipelines/ledger/recalculate.ts");
const { LedgerRows } = await import("../pipelines/ledger/sink.ts");
const { recalculations } = await import("../pipelines/ledger/metrics.ts");
const { ensureLedgerTables } = await import("../schemas/questdb/ledger.ts");
const { replayRange } = await import("../pipelines/ledger/replay.ts");
const LEDGER_CHANGELOG = (await import("../pipelines/ledger/changelog.ts")).ledgerChangelog();
const { schemaStore } = await import("../schemas/codec/schema-store.ts");

const config = loadConfig();
await (await import("./prepare.ts")).prepareStack(config);
const kafka = createKafka(config, "bench-recalc");
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, config, [LEDGER_CHANGELOG]);
const questdb = questdbPool(config, 2);
await ensureLedgerTables(questdb);
const store = schemaStore();

// Rows the processor hands to its ILP senders while `counting` (the recalculation's window), per table.
type Rows = { readings: number; ledger: number; anomalies: number; hourly: number; daily: number };
const counted: Rows = { readings: 0, ledger: 0, anomalies: 0, hourly: 0, daily: 0 };
let counting = false;
const writeTo = LedgerRows.prototype.writeTo;
LedgerRows.prototype.writeTo = function (this: InstanceType<typeof LedgerRows>, ...args) {
  if (counting) {
    counted.readings += this.readings.size;
    counted.ledger += this.ledger.size;
    counted.anomalies += this.anomalies.size;
    counted.hourly += this.hours.size;
    counted.daily += this.days.size;
  }
  return writeTo.apply(this, args);
};
// When the processor first asked for the job (its punctuator runs once a second): the job's own duration.
let requestedAt: number | undefined;
const request = Recalculator.prototype.request;
Recalculator.prototype.request = function (this: InstanceType<typeof Recalculator>, ...args) {
  if (counting) requestedAt ??= performance.now();
  return request.apply(this, args);
};
// The processor's log, quiet but for warnings and the recalculation's own line (readings read, hours rebuilt).
let recalculated: { readings?: number; hours?: number } = {};
const logger = pino(
  { name: "bench", level: "info" },
  {
    write(line: string) {
      const entry = JSON.parse(line) as { level: number; msg: string; readings?: number; hours?: number };
      if (entry.msg === "device recalculated after late readings") recalculated = entry;
      else if (entry.level >= 40) process.stderr.write(line);
    },
  },
);

const first = Date.UTC(2005, 0, 1);
const reading = (ts: number, energy: number, seq: number) => ({
  device_id: device,
  ts,
  ts_source: "device" as const,
  energy_wh_total: energy,
  power_w: 600,
  boot_id: null,
  seq,
  switch_state: null,
  voltage_v: null,
  current_a: null,
  source: "bench",
  received_at: ts + 1000,
});
const message = (r: ReturnType<typeof reading>) => ({
  key: device,
  value: store.encode("TelemetryReading", r),
});

let processor: Awaited<ReturnType<typeof startLedgerProcessor>> | undefined;
try {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const filled = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++)
      messages.push(message(reading(first + j * MINUTE, j * 10, j)));
    await producer.send({ topic: TOPICS.telemetry, acks: -1, messages });
  }
  note(`filled ${N} readings (${DAYS} days) in ${secondsSince(filled).toFixed(0)} s`);

  const caughtUp = performance.now();
  processor = await startLedgerProcessor(config, logger);
  const failed = processor.failed;
  failed.catch(() => {});
  await until(
    failed,
    30 * 60_000,
    "the processor to commit every reading",
    async () => (await committed()) >= N,
  );
  await until(
    failed,
    10 * 60_000,
    "QuestDB to show every reading",
    async () => (await storedReadings()) >= N,
  );
  note(`processor caught up in ${secondsSince(caughtUp).toFixed(0)} s`);
  await walSettled();

  // The late reading: in the middle of the last day, between two stored readings, with energy between theirs.
  const k = N - 720;
  const late = reading(first + k * MINUTE + 30_000, k * 10 + 5, k);
  const lateHour = late.ts - (late.ts % 3_600_000);
  const before = await recalculationCount();
  const bytesBefore = ilp.bytes;
  const requestsBefore = ilp.requests;
  counting = true;
  const sent = performance.now();
  await producer.send({ topic: TOPICS.telemetry, acks: -1, messages: [message(late)] });
  await until(
    failed,
    30 * 60_000,
    "the recalculation",
    async () => (await recalculationCount()) > before,
    10,
  );
  const recalcSeconds = secondsSince(sent);
  const recalcJobSeconds = requestedAt === undefined ? undefined : (performance.now() - requestedAt) / 1000;
  await until(
    failed,
    10 * 60_000,
    "the late reading's hour in QuestDB",
    async () => (await hourReadings(lateHour)) > 60,
  );
  const visibleSeconds = secondsSince(sent);
  // The recalculation's rows go out with the checkpoint it asks for, committed after it counts itself done: what
  // it wrote is counted until its hour is in QuestDB.
  counting = false;
  const recalcBytes = ilp.bytes - bytesBefore;
  const recalcRequests = ilp.requests - requestsBefore;
  const recalcRows = { ...counted };
  await producer.disconnect();
  await processor.stop();
  processor = undefined;
  await walSettled();

  const bytesBeforeReplay = ilp.bytes;
  const requestsBeforeReplay = ilp.requests;
  const replayed = performance.now();
  const summary = await replayRange(config, { from: first, to: first + N * MINUTE, devices: [device] });
  const replaySeconds = secondsSince(replayed);
  const replayBytes = ilp.bytes - bytesBeforeReplay;
  const replayRequests = ilp.requests - requestsBeforeReplay;
  const replayRows = summary.rows;

  const sum = (r: Rows) => r.readings + r.ledger + r.anomalies + r.hourly + r.daily;
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : "n/a");
  const timeRatio = replaySeconds / recalcSeconds;
  const bytesRatio = recalcBytes > 0 ? replayBytes / recalcBytes : Number.POSITIVE_INFINITY;
  console.log(
    `history:                             ${N} readings of one device (${DAYS} days, one a minute)`,
  );
  console.log(
    `recalculation after 1 late reading:  ${recalcSeconds.toFixed(2)} s from send to rows written` +
      (recalcJobSeconds === undefined ? "" : ` (job ${recalcJobSeconds.toFixed(2)} s from its request)`) +
      `; visible in QuestDB after ${visibleSeconds.toFixed(2)} s`,
  );
  console.log(
    `  written:                           ${mb(recalcBytes)} ILP in ${recalcRequests} requests, ${sum(recalcRows)} rows ${JSON.stringify(recalcRows)}`,
  );
  console.log(
    `  rebuilt:                           ${recalculated.readings ?? "?"} readings read, ${recalculated.hours ?? "?"} hours`,
  );
  console.log(`baseline replay of the device:       ${replaySeconds.toFixed(2)} s`);
  console.log(
    `  written:                           ${mb(replayBytes)} ILP in ${replayRequests} requests, ${sum(replayRows)} rows ${JSON.stringify(replayRows)}`,
  );
  console.log(
    `ratio (replay / recalculation):      time ${ratio(replaySeconds, recalcSeconds)}, bytes ${ratio(replayBytes, recalcBytes)}, rows ${ratio(sum(replayRows), sum(recalcRows))}`,
  );
  console.log(
    `aim ≥ 10× less than the replay:      ${timeRatio >= 10 && bytesRatio >= 10 ? "met" : "not met"}` +
      ` (time ${timeRatio >= 10 ? "met" : "not met"}, bytes ${bytesRatio >= 10 ? "met" : "not met"})`,
  );
} finally {
  counting = false;
  await processor?.stop().catch(() => {});
  await admin.deleteTopics({ topics: [...Object.values(TOPICS), LEDGER_CHANGELOG] }).catch(() => {});
  await admin.deleteGroups([config.ledger.groupId]).catch(() => {});
  await admin.disconnect();
  await questdb.end();
  await ilp.close();
}
process.exit(0);

function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

function secondsSince(t: number): number {
  return (performance.now() - t) / 1000;
}

/** Polls `done` until it holds; fails after `timeoutMs`, or at once if the processor fails. */
async function until(
  failed: Promise<never>,
  timeoutMs: number,
  what: string,
  done: () => Promise<boolean>,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let failure: unknown;
  failed.catch((err: unknown) => {
    failure = err ?? new Error("the ledger processor failed");
  });
  while (!(await done().catch(() => false))) {
    if (failure !== undefined) throw failure;
    if (Date.now() > deadline) throw new Error(`bench/recalc: gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function committed(): Promise<number> {
  const offsets = await admin.fetchOffsets({ groupId: config.ledger.groupId, topics: [TOPICS.telemetry] });
  return offsets.flatMap((t) => t.partitions).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

async function recalculationCount(): Promise<number> {
  return (await recalculations.get()).values.reduce((n, v) => n + v.value, 0);
}

async function storedReadings(): Promise<number> {
  const { rows } = await questdb.query<{ n: string }>(
    "SELECT count() n FROM readings WHERE device_id = $1 AND ts >= $2 AND ts < $3",
    [device, new Date(first).toISOString(), new Date(first + N * MINUTE).toISOString()],
  );
  return Number(rows[0]?.n ?? 0);
}

async function hourReadings(hourStart: number): Promise<number> {
  const { rows } = await questdb.query<{ readings: number }>(
    "SELECT readings FROM energy_hourly WHERE device_id = $1 AND hour_start = $2",
    [device, new Date(hourStart).toISOString()],
  );
  return Number(rows[0]?.readings ?? 0);
}

/** Waits (up to a minute) until QuestDB has applied every WAL transaction of the ledger's tables. */
async function walSettled(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { rows } = await questdb
      .query<{ pending: string }>(
        "SELECT count() pending FROM wal_tables() WHERE name IN ('readings', 'ledger', 'anomalies', 'energy_hourly', 'energy_daily') AND writerTxn < sequencerTxn",
      )
      .catch(() => ({ rows: [{ pending: "0" }] }));
    if (Number(rows[0]?.pending ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A pass-through proxy in front of QuestDB's HTTP port that counts the bytes of ILP request bodies (/write). */
async function ilpCounter(
  target: URL,
): Promise<{ url: string; bytes: number; requests: number; close(): Promise<void> }> {
  const client = target.protocol === "https:" ? https : http;
  const agent = new client.Agent({ keepAlive: true });
  const counter = { url: "", bytes: 0, requests: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    const isIlp = /^\/(api\/v2\/)?write\b/.test(req.url ?? "");
    if (isIlp) counter.requests++;
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: target.host };
    delete headers.connection;
    delete headers["keep-alive"];
    const upstream = client.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    req.on("data", (chunk: Buffer) => {
      if (isIlp) counter.bytes += chunk.length;
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  counter.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  counter.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    agent.destroy();
  };
  return counter;
}
