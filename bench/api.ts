// bench/api: latency of GET /api/v1/energy/daily for one site's daily totals, driven over real HTTP on loopback with a
// bounded number of concurrent requests, against SQL sent straight to QuestDB over PGWire in the same run (same pool
// size and concurrency): the route's own statement over the stored group rows, and the sum of the 1,000 device rows
// through `device_id IN ($1 … $1000)` (what the route sent before the group rows). They alternate in rounds, so that
// load from other processes on a shared machine falls on all alike. Two cases: 1,000 devices over a month (31 local
// days), then 10,000 devices over a year of daily rows (whose device-row sum, 10,000 bound ids over 3.65 M rows, is
// measured on a few requests only). The API is `wattline api` in a process of its own, as deployed, with its default
// caches (API key, the site's device ids; WATTLINE_API_CACHE_TTL_MS), refreshed as they expire; the clients here keep
// their connections alive, as a dashboard's browser does. Two API processes answer: one as deployed, which keeps a
// statement's group rows until the group views apply a transaction (WATTLINE_API_GROUP_ROWS_POLL_MS), and one that
// queries QuestDB on every request (the poll set to 0). Throughout, a writer commits one energy_daily row of another
// site every second, as the ledger's checkpoints do, so the views move and the kept rows are dropped every second. Node CPU per request is the API process's (from /proc) for
// the API, this process's for PGWire. The devices mirror and the device rows are written directly
// over ILP, the mirror first (the group views join the rows to it as they arrive). Device ids and dates are the same
// in every run, so a rerun rewrites the same rows (DEDUP UPSERT) rather than adding symbols to the shared tables; the
// site is the run's, and rewriting the rows moves their group rows to it. Two runs at once would share the devices:
// run one at a time. Run: node --import tsx bench/api.ts [requests] [concurrency] [--month-only]
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, get } from "node:http";
import { createServer } from "node:net";
import type pg from "pg";
import { createApiKey } from "../api/auth/keys.ts";
import { groupDayTotalsQuery } from "../api/energy/group-rollups.ts";
import { datesStartingIn } from "../api/energy/local-time.ts";
import { dayTotalsQuery } from "../api/energy/rollups.ts";
import { loadConfig } from "../ground/config.ts";
import { createLogger } from "../ground/logger.ts";
import { postgresPool } from "../ground/postgres.ts";
import { questdbPool, questdbSender } from "../ground/questdb.ts";
import { migrate } from "../schemas/postgres/migrate.ts";
import { groupViewsCaughtUp } from "../schemas/questdb/groups.ts";
import { ensureLedgerTables } from "../schemas/questdb/ledger.ts";
import { stop, wattline } from "./e2e/processes.ts";

const REQUESTS = Number(process.argv[2] ?? 2000);
const CONCURRENCY = Number(process.argv[3] ?? 20);
const MONTH_ONLY = process.argv.includes("--month-only");
const TIME_LIMIT_MS = 120_000;
const ROUNDS = 5;
const POOL_SIZE = 4;
const ZONE = "Europe/Berlin";
/** Requests of the 10,000-device sum over device rows: each takes long. */
const SLOW_REQUESTS = 40;
const ROWS_PER_REQUEST = 250_000;

interface Case {
  devices: string[];
  from: string;
  to: string;
  site: string;
  dates: string[];
  first: string;
  end: string;
}

const run = randomBytes(3).toString("hex");
const config = loadConfig();
await migrate(config, createLogger("migrate", "warn"));
const postgres = postgresPool(config, 10);
const questdb = questdbPool(config, POOL_SIZE);

function benchCase(count: number, prefix: string, from: string, to: string, label: string): Case {
  const devices = Array.from(
    { length: count },
    (_, i) => `${prefix}${String(i).padStart(String(count - 1).length, "0")}`,
  );
  const { first, end } = datesStartingIn(Date.parse(from), Date.parse(to), ZONE);
  const dates: string[] = [];
  for (let d = Date.parse(`${first}T00:00:00Z`); d < Date.parse(`${end}T00:00:00Z`); d += 86_400_000)
    dates.push(new Date(d).toISOString().slice(0, 10));
  return { devices, from, to, site: `bench-api-${label}-${run}`, dates, first, end };
}

// March 1999 in Berlin: 31 local days, one of them 23 hours long; a month of its own in the shared tables.
const MONTH = benchCase(
  1000,
  "bench-api-dev-",
  "1999-03-01T00:00:00+01:00",
  "1999-04-01T00:00:00+02:00",
  "m",
);
// 1998 in Berlin: 365 local days, before the month above.
const YEAR = benchCase(10_000, "bench-api-y-", "1998-01-01T00:00:00+01:00", "1999-01-01T00:00:00+01:00", "y");

const energyOf = (i: number) => 1000 + i;

async function seed(c: Case): Promise<void> {
  // On a fresh stack the ILP writes below would otherwise create energy_daily with ILP's own schema (no `day`).
  await ensureLedgerTables(questdb);
  await postgres.query("INSERT INTO sites (id, name, timezone) VALUES ($1, 'bench', $2)", [c.site, ZONE]);
  // Left by a run that did not finish.
  await postgres.query("DELETE FROM devices WHERE device_id = ANY($1)", [c.devices]);
  await postgres.query(
    "INSERT INTO devices (device_id, site_id, kind, timezone) SELECT d, $2, 'inverter', $3 FROM unnest($1::text[]) d",
    [c.devices, c.site, ZONE],
  );
  const sender = await questdbSender(config);
  try {
    for (const device of c.devices) {
      sender.table("devices").symbol("device_id", device).symbol("site_id", c.site);
      await sender.symbol("timezone", ZONE).symbol("kind", "inverter").at(0n, "us");
    }
    await sender.flush();
    await visible(`SELECT count() n FROM devices WHERE site_id = $1`, [c.site], c.devices.length);
    for (const [i, device] of c.devices.entries()) {
      for (const date of c.dates) {
        sender.table("energy_daily").symbol("device_id", device).symbol("confidence", "high");
        sender.symbol("currency", "EUR").floatColumn("energy_wh", energyOf(i)).intColumn("hours", 24);
        sender
          .intColumn("readings", 288)
          .intColumn("duplicates", 0)
          .intColumn("resets", 0)
          .intColumn("anomalies", 0);
        await sender
          .floatColumn("cost", energyOf(i) * 0.0003)
          .at(BigInt(Date.parse(`${date}T00:00:00Z`)) * 1000n, "us");
      }
      // Each request is a transaction that the group views refresh over the whole time range it touches: few and
      // large ones load a year quicker.
      if ((i + 1) % Math.ceil(ROWS_PER_REQUEST / c.dates.length) === 0) await sender.flush();
    }
    await sender.flush();
  } finally {
    await sender.close();
  }
  const range = [`${c.first}T00:00:00.000Z`, `${c.end}T00:00:00.000Z`];
  const rows = c.devices.length * c.dates.length;
  // Every row was acknowledged above: once the views have caught up, they hold them all.
  if (!(await groupViewsCaughtUp(questdb, 300_000))) throw new Error("group views did not catch up in 300 s");
  await visible(
    "SELECT sum(devices) n FROM energy_daily_groups WHERE site_id = $1 AND day >= $2 AND day < $3",
    [c.site, ...range],
    rows,
  );
}

/** WAL tables apply asynchronously: waits until `sql` counts `n`. */
async function visible(sql: string, params: unknown[], n: number): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Number((await questdb.query<{ n: string }>(sql, params)).rows[0]?.n) < n) {
    if (Date.now() > deadline) throw new Error(`not visible in 300 s: ${sql}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Result {
  latencies: number[];
  seconds: number;
  /** CPU time of the process that answers (the API's, or this one for PGWire), in ms. */
  cpuMs: number;
}

/** One way to get the answer, and the CPU time so far (ms) of the process that does the work. */
interface Path {
  once: () => Promise<void>;
  cpuMs: () => number;
}

const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** utime + stime of another process, from /proc (clock ticks of 10 ms on Linux). */
const processCpuMs = (pid: number) => () => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

/** `requests` calls of the path, `CONCURRENCY` at a time, stopping early after `limitMs`. */
async function measure(requests: number, path: Path, limitMs: number): Promise<Result> {
  const latencies: number[] = [];
  let started = 0;
  const t0 = performance.now();
  const cpu0 = path.cpuMs();
  const worker = async () => {
    while (started < requests && performance.now() - t0 < limitMs) {
      started++;
      const t = performance.now();
      await path.once();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { latencies, seconds: (performance.now() - t0) / 1000, cpuMs: path.cpuMs() - cpu0 };
}

/** Each path's `requests` in ROUNDS alternating rounds: load from other processes on a shared machine falls on all. */
async function alternate(requests: number, paths: Path[]): Promise<Result[]> {
  const totals = paths.map((): Result => ({ latencies: [], seconds: 0, cpuMs: 0 }));
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, path] of paths.entries()) {
      const r = await measure(Math.ceil(requests / ROUNDS), path, TIME_LIMIT_MS / ROUNDS);
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

const ms = (x: number) => `${x.toFixed(2)} ms`;

function line(name: string, s: Summary): void {
  console.log(
    `  ${name} n=${s.n}  p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  ${s.rps.toFixed(0)} req/s  node CPU ${ms(s.cpuMs)}/req`,
  );
}

interface ApiProcess {
  port: number;
  pid: number;
}

/** Seeds a case, then measures the route (kept group rows, and queried every request) against its SQL. */
async function bench(
  c: Case,
  apis: { kept: ApiProcess; queried: ApiProcess },
  headers: Record<string, string>,
  requests: number,
): Promise<void> {
  await seed(c);
  const params = new URLSearchParams({ scope: "site", id: c.site, from: c.from, to: c.to });
  const expectedWh = c.devices.reduce((wh, _, i) => wh + energyOf(i), 0);
  const viaApi = (api: ApiProcess): Path => ({
    once: async () => {
      const url = `http://127.0.0.1:${api.port}/api/v1/energy/daily?${params}`;
      const { status, text } = await getText(url, headers);
      const body = JSON.parse(text) as { rows: { energy_wh: number; devices: number }[] };
      if (status !== 200 || body.rows.length !== c.dates.length || body.rows[0]?.energy_wh !== expectedWh)
        throw new Error(`unexpected answer ${status}: ${text.slice(0, 300)}`);
    },
    cpuMs: processCpuMs(api.pid),
  });
  const keptApi = viaApi(apis.kept);
  const queriedApi = viaApi(apis.queried);
  const query = (statement: { text: string; values: unknown[] }): Path => ({
    once: async () => {
      const { rows } = await (questdb as pg.Pool).query(statement);
      if (rows.length !== c.dates.length || Number(rows[0]?.energy_wh) !== expectedWh)
        throw new Error(`direct query returned ${rows.length} rows: ${JSON.stringify(rows[0])}`);
    },
    cpuMs: ownCpuMs,
  });
  const groupSql = query(groupDayTotalsQuery({ kind: "site", id: c.site }, c.first, c.end));
  const deviceSql = query(dayTotalsQuery(c.devices, c.first, c.end));
  const slow = c.devices.length > 1000;
  const paths = slow ? [keptApi, queriedApi, groupSql] : [keptApi, queriedApi, deviceSql, groupSql];
  // Warm every path (connections, QuestDB's query cache, JIT) before measuring.
  await alternate(100, paths);
  const kept0 = await keptAnswers(apis.kept, headers);
  const measured = (await alternate(requests, paths)).map(summary);
  const kept = await keptAnswers(apis.kept, headers);
  const api = measured[0];
  const queried = measured[1];
  const group = measured[paths.indexOf(groupSql)];
  const devicesSql = slow
    ? summary(await measure(SLOW_REQUESTS, deviceSql, TIME_LIMIT_MS))
    : measured[paths.indexOf(deviceSql)];
  const rows = c.devices.length * c.dates.length;
  console.log(
    `GET /api/v1/energy/daily: 1 site, ${c.devices.length} devices, ${c.dates.length} days (${rows} rows summed per request), ${CONCURRENCY} concurrent, QuestDB pool ${POOL_SIZE}, ${ROUNDS} alternating rounds`,
  );
  if (!api || !queried || !group || !devicesSql) throw new Error("a path was not measured");
  line("API over HTTP      ", api);
  const asked = kept.kept - kept0.kept + kept.queried - kept0.queried;
  console.log(
    `    (group rows kept until the views move: ${asked === 0 ? "none asked" : `${(((kept.kept - kept0.kept) / asked) * 100).toFixed(1)} % of asks answered from kept rows`}, views moved every ${WRITE_EVERY_MS} ms)`,
  );
  line("API, queried always", queried);
  line("QuestDB over PGWire", devicesSql);
  console.log(
    `  ratio API/direct   p50 ${(api.p50 / devicesSql.p50).toFixed(2)}×  p95 ${(api.p95 / devicesSql.p95).toFixed(2)}×  p99 ${(api.p99 / devicesSql.p99).toFixed(2)}×  throughput ${(devicesSql.rps / api.rps).toFixed(2)}× lower`,
  );
  console.log(
    `  ratio API/group SQL p95: kept ${(api.p95 / group.p95).toFixed(2)}×, queried always ${(queried.p95 / group.p95).toFixed(2)}×`,
  );
  line("group rows, PGWire ", group);
  console.log(
    `  (API: the site's ${c.dates.length} stored group rows; "QuestDB over PGWire": Σ of the ${rows} device rows, device_id IN (${c.devices.length} ids)${slow ? `, ${SLOW_REQUESTS} requests` : ""}; "group rows": the route's own statement)`,
  );
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/**
 * A GET over the agent's kept-alive connections: its status and body. A kept connection that the server closed
 * while idle fails its next request with ECONNRESET: that request is sent again once, on a new connection.
 */
const getText = (url: string, headers: Record<string, string>) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = get(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", (err: NodeJS.ErrnoException) =>
      req.reusedSocket && err.code === "ECONNRESET"
        ? getText(url, headers).then(resolve, reject)
        : reject(err),
    );
  });

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Until the API answers /health (any status: it answers once it listens). */
async function listening(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answered = await getText(`http://127.0.0.1:${port}/health`, {}).then(
      () => true,
      () => false,
    );
    if (answered) return;
    if (Date.now() > deadline) throw new Error("the API did not listen within 60 s");
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The kept and queried group-row answers the API has counted (its /metrics, with an admin key). */
async function keptAnswers(api: ApiProcess, headers: Record<string, string>) {
  const { text } = await getText(`http://127.0.0.1:${api.port}/metrics`, { ...headers, ...adminHeaders });
  const count = (answer: string) =>
    Number(
      text
        .split("\n")
        .find((l) => l.startsWith(`wattline_api_group_rows_total{answer="${answer}"}`))
        ?.split(" ")
        .at(-1) ?? 0,
    );
  return { kept: count("kept"), queried: count("queried") };
}

const WRITE_EVERY_MS = 1000;

/** One energy_daily row of a device outside the bench's sites each second: the views move, the answers do not. */
function moveViews(): () => Promise<void> {
  let stopped = false;
  const done = (async () => {
    const sender = await questdbSender(config);
    try {
      // In the mirror, with a site of its own: the views join its rows and change with each.
      sender
        .table("devices")
        .symbol("device_id", `bench-api-${run}-writer`)
        .symbol("site_id", `bench-api-${run}-w`);
      await sender.symbol("timezone", ZONE).symbol("kind", "meter").at(0n, "us");
      for (let i = 0; !stopped; i++) {
        sender
          .table("energy_daily")
          .symbol("device_id", `bench-api-${run}-writer`)
          .symbol("confidence", "high");
        await sender.floatColumn("energy_wh", i).at(BigInt(Date.UTC(1990, 0, 1)) * 1000n, "us");
        await sender.flush();
        await new Promise((r) => setTimeout(r, WRITE_EVERY_MS));
      }
    } finally {
      await sender.close();
    }
  })();
  return async () => {
    stopped = true;
    await done;
  };
}

const keyIds: number[] = [];
let adminHeaders: Record<string, string> = {};
const cases = MONTH_ONLY ? [MONTH] : [MONTH, YEAR];
// No per-key limit: the bench's one key makes every request.
const startApi = async (pollMs: string) => {
  const port = await freePort();
  const child = wattline("api", ["api"], {
    WATTLINE_API_PORT: String(port),
    WATTLINE_API_RATE_LIMIT_PER_S: "0",
    WATTLINE_METRICS_PORT: "0",
    WATTLINE_LOG_LEVEL: "warn",
    WATTLINE_API_GROUP_ROWS_POLL_MS: pollMs,
  });
  return { port, child };
};
const apis = [await startApi("250"), await startApi("0")];
const stopWriter = moveViews();
try {
  const key = await createApiKey(postgres, `bench-api-${run}-viewer`, "viewer");
  const admin = await createApiKey(postgres, `bench-api-${run}-admin`, "admin");
  keyIds.push(key.id, admin.id);
  adminHeaders = { Authorization: `Bearer ${admin.key}` };
  const [kept, queried] = apis.map(({ port, child }) => {
    if (child.pid === undefined) throw new Error("an API process did not start");
    return { port, pid: child.pid };
  }) as [ApiProcess, ApiProcess];
  await listening(kept.port);
  await listening(queried.port);
  const headers = { Authorization: `Bearer ${key.key}` };
  for (const c of cases) await bench(c, { kept, queried }, headers, REQUESTS);
} finally {
  await stopWriter();
  await stop(apis.map((a) => a.child));
  agent.destroy();
  if (keyIds.length > 0) await postgres.query("DELETE FROM api_keys WHERE id = ANY($1)", [keyIds]);
  for (const c of cases) {
    await postgres.query("DELETE FROM devices WHERE device_id = ANY($1)", [c.devices]);
    await postgres.query("DELETE FROM sites WHERE id = $1", [c.site]);
  }
  await Promise.all([postgres.end(), questdb.end()]);
}
