// bench/api: latency of GET /api/v1/energy/daily for one site of 1,000 devices over a month (31 local days), driven
// over real HTTP on loopback with a bounded number of concurrent requests, against the route's own SQL sent straight
// to QuestDB over PGWire (same statement, same 1,000 bound ids, same pool size and concurrency) in the same run. The
// two alternate in rounds, so that load from other processes on a shared machine falls on both alike. The app runs
// with its default caches (API key, the site's device ids; WATTLINE_API_CACHE_TTL_MS), refreshed as they expire.
// The rows are written directly over ILP. Device ids and the month are the same in every run, so a rerun rewrites
// the same rows (DEDUP UPSERT) rather than adding a thousand symbols to the shared tables; the site is the run's.
// Two runs at once would share the devices: run one at a time. Run: node --import tsx bench/api.ts [requests] [concurrency]
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type pg from "pg";
import { createApp } from "../api/app.ts";
import { createApiKey } from "../api/auth/keys.ts";
import { datesStartingIn } from "../api/energy/local-time.ts";
import { dayTotalsQuery, inDevices } from "../api/energy/rollups.ts";
import { loadConfig } from "../ground/config.ts";
import { createKafka } from "../ground/kafka.ts";
import { createLogger } from "../ground/logger.ts";
import { postgresPool } from "../ground/postgres.ts";
import { questdbPool, questdbSender } from "../ground/questdb.ts";
import { migrate } from "../schemas/postgres/migrate.ts";
import { ensureLedgerTables } from "../schemas/questdb/ledger.ts";

const REQUESTS = Number(process.argv[2] ?? 2000);
const CONCURRENCY = Number(process.argv[3] ?? 20);
const TIME_LIMIT_MS = 120_000;
const ROUNDS = 5;
const DEVICES = 1000;
const POOL_SIZE = 4;
const ZONE = "Europe/Berlin";
// March 1999 in Berlin: 31 local days, one of them 23 hours long; a month of its own in the shared tables.
const FROM = "1999-03-01T00:00:00+01:00";
const TO = "1999-04-01T00:00:00+02:00";

const run = randomBytes(3).toString("hex");
const site = `bench-api-${run}`;
const config = loadConfig();
await migrate(config, createLogger("migrate", "warn"));
const postgres = postgresPool(config, 10);
const questdb = questdbPool(config, POOL_SIZE);
const devices = Array.from({ length: DEVICES }, (_, i) => `bench-api-dev-${String(i).padStart(4, "0")}`);
const { first, end } = datesStartingIn(Date.parse(FROM), Date.parse(TO), ZONE);
const dates: string[] = [];
for (let d = Date.parse(`${first}T00:00:00Z`); d < Date.parse(`${end}T00:00:00Z`); d += 86_400_000)
  dates.push(new Date(d).toISOString().slice(0, 10));

async function seed(): Promise<void> {
  // On a fresh stack the ILP writes below would otherwise create energy_daily with ILP's own schema (no `day`).
  await ensureLedgerTables(questdb);
  await postgres.query("INSERT INTO sites (id, name, timezone) VALUES ($1, 'bench', $2)", [site, ZONE]);
  // Left by a run that did not finish.
  await postgres.query("DELETE FROM devices WHERE device_id = ANY($1)", [devices]);
  await postgres.query(
    "INSERT INTO devices (device_id, site_id, kind, timezone) SELECT d, $2, 'inverter', $3 FROM unnest($1::text[]) d",
    [devices, site, ZONE],
  );
  const sender = await questdbSender(config);
  try {
    for (const [i, device] of devices.entries()) {
      for (const date of dates) {
        sender.table("energy_daily").symbol("device_id", device).symbol("confidence", "high");
        sender
          .symbol("currency", "EUR")
          .floatColumn("energy_wh", 1000 + i)
          .intColumn("hours", 24);
        sender
          .intColumn("readings", 288)
          .intColumn("duplicates", 0)
          .intColumn("resets", 0)
          .intColumn("anomalies", 0);
        await sender
          .floatColumn("cost", (1000 + i) * 0.0003)
          .at(BigInt(Date.parse(`${date}T00:00:00Z`)) * 1000n, "us");
      }
      if (i % 100 === 99) await sender.flush();
    }
    await sender.flush();
  } finally {
    await sender.close();
  }
  // WAL tables apply asynchronously: wait until every row is visible.
  const count: unknown[] = [];
  const countSql = `SELECT count() n FROM energy_daily WHERE ${inDevices(devices, count)}`;
  const deadline = Date.now() + 120_000;
  while (Number((await questdb.query<{ n: string }>(countSql, count)).rows[0]?.n) < DEVICES * dates.length) {
    if (Date.now() > deadline) throw new Error("seeded rows did not become visible in 120 s");
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Result {
  latencies: number[];
  seconds: number;
  /** CPU time of this process (server, clients and drivers), in ms. */
  cpuMs: number;
}

/** `requests` calls of `once`, `CONCURRENCY` at a time, stopping early after `limitMs`. */
async function measure(requests: number, once: () => Promise<void>, limitMs: number): Promise<Result> {
  const latencies: number[] = [];
  let started = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const worker = async () => {
    while (started < requests && performance.now() - t0 < limitMs) {
      started++;
      const t = performance.now();
      await once();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const cpu = process.cpuUsage(cpu0);
  return { latencies, seconds: (performance.now() - t0) / 1000, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Each path's `requests` in ROUNDS alternating rounds: load from other processes on a shared machine falls on both. */
async function alternate(requests: number, paths: (() => Promise<void>)[]): Promise<Result[]> {
  const totals = paths.map((): Result => ({ latencies: [], seconds: 0, cpuMs: 0 }));
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, once] of paths.entries()) {
      const r = await measure(Math.ceil(requests / ROUNDS), once, TIME_LIMIT_MS / ROUNDS);
      const total = totals[i] as Result;
      total.latencies.push(...r.latencies);
      total.seconds += r.seconds;
      total.cpuMs += r.cpuMs;
    }
  return totals;
}

type Summary = ReturnType<typeof summary>;

function summary(r: Result) {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  const n = sorted.length;
  return { n, p50: at(0.5), p95: at(0.95), p99: at(0.99), rps: n / r.seconds, cpuMs: r.cpuMs / n };
}

let server: Server | undefined;
let keyId: number | undefined;
try {
  await seed();
  const key = await createApiKey(postgres, `${site}-viewer`, "viewer");
  keyId = key.id;
  const app = createApp({
    kafka: createKafka(config),
    questdb,
    postgres,
    mqttConnected: () => true,
    logger: createLogger("api", "silent"),
    rateLimit: { ratePerSecond: 0, burst: 1 },
  });
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s as Server));
  });
  const params = new URLSearchParams({ scope: "site", id: site, from: FROM, to: TO });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/energy/daily?${params}`;
  const headers = { Authorization: `Bearer ${key.key}` };
  const expectedWh = devices.reduce((wh, _, i) => wh + 1000 + i, 0);
  const viaApi = async () => {
    const res = await fetch(url, { headers });
    const body = (await res.json()) as { rows: { energy_wh: number; devices: number }[] };
    if (res.status !== 200 || body.rows.length !== dates.length || body.rows[0]?.energy_wh !== expectedWh)
      throw new Error(`unexpected answer ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  };
  const statement = dayTotalsQuery(devices, first, end);
  const direct = async () => {
    const { rows } = await (questdb as pg.Pool).query(statement);
    if (rows.length !== dates.length) throw new Error(`direct query returned ${rows.length} rows`);
  };
  // Warm both paths (connections, QuestDB's query cache, JIT) before measuring.
  await alternate(100, [viaApi, direct]);
  const [api, sql] = (await alternate(REQUESTS, [viaApi, direct])).map(summary) as [Summary, Summary];
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(
    `GET /api/v1/energy/daily: 1 site, ${DEVICES} devices, ${dates.length} days (${DEVICES * dates.length} rows summed per request), ${CONCURRENCY} concurrent, QuestDB pool ${POOL_SIZE}, ${ROUNDS} alternating rounds`,
  );
  for (const [name, s] of [
    ["API over HTTP      ", api],
    ["QuestDB over PGWire", sql],
  ] as const)
    console.log(
      `  ${name} n=${s.n}  p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  ${s.rps.toFixed(0)} req/s  node CPU ${ms(s.cpuMs)}/req`,
    );
  console.log(
    `  ratio API/direct   p50 ${(api.p50 / sql.p50).toFixed(2)}×  p95 ${(api.p95 / sql.p95).toFixed(2)}×  p99 ${(api.p99 / sql.p99).toFixed(2)}×  throughput ${(sql.rps / api.rps).toFixed(2)}× lower`,
  );
} finally {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (keyId !== undefined) await postgres.query("DELETE FROM api_keys WHERE id = $1", [keyId]);
  await postgres.query("DELETE FROM sites WHERE id = $1", [site]);
  await Promise.all([postgres.end(), questdb.end()]);
}
