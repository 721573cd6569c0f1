// Replay: rebuilds the ledger of [from, to) from the telemetry topic with the stream's own pure core, and rewrites
// those rows (ledger, anomalies, hourly, daily, and with `withReadings` the readings) as upserts, so a replay can be
// repeated at any time.
//
// A device's state at `from` depends on every reading before it, so each partition is read from its start (up to
// the offsets it held when the replay began). The partitions are shared out among worker threads, one per core
// (replay-shard.ts): a device's readings are all in one partition, so the shards fold and write their devices'
// readings and ledger rows side by side. Their hour buckets come back here, where the hourly and daily rows are
// compared with the stored ones (the change report) and written.
import { availableParallelism } from "node:os";
import type { Config } from "../../ground/config.ts";
import { IlpPoster } from "../../ground/ilp.ts";
import { createKafka } from "../../ground/kafka.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { questdbPool } from "../../ground/questdb.ts";
import { TOPICS } from "../../ground/topics.ts";
import { startWorker } from "../../ground/worker.ts";
import { ensureLedgerTables } from "../../schemas/questdb/ledger.ts";
import { parseTimestamp } from "../core/reading.ts";
import { DAY_MS, queryAnomalies, queryDays, queryHours } from "./energy-rows.ts";
import { RegistryCache } from "./registry-cache.ts";
import { ChangeReport, type DeviceChanges, type RowChanges } from "./replay-diff.ts";
import type { Range } from "./replay-fold.ts";
import type { PartitionProgress, ReplayProgress, ShardJob, ShardResult } from "./replay-shard.ts";
import { ChunkedWriter } from "./replay-writer.ts";
import { LedgerRows } from "./sink.ts";

export type { PartitionProgress, ReplayProgress } from "./replay-shard.ts";

export interface ReplayOptions {
  /** ISO-8601 with Z or an offset, or epoch ms. */
  from: string | number;
  to: string | number;
  /** Only these devices; every device on the topic when absent. */
  devices?: readonly string[];
  /** Compute and report; write nothing. */
  dryRun?: boolean;
  /**
   * Rewrite the `readings` rows of the range too. They are the input itself, which no recalculation changes, and
   * rewriting them doubles QuestDB's work: only to bring back readings rows that were lost or damaged.
   */
  withReadings?: boolean;
  /** Called after every batch read from Kafka. */
  onProgress?: (progress: ReplayProgress) => void;
  /** Worker threads, each replaying a share of the partitions; by default one per core, at most one per partition. */
  workers?: number;
}

export interface ReplaySummary {
  from: string;
  to: string;
  dry_run: boolean;
  /** Records read in pass 1 (all of each partition); readings of the chosen devices; devices folded. */
  records: number;
  readings: number;
  devices: number;
  /** Devices asked for that have no reading on the topic (a typo, or readings past retention). */
  without_readings?: string[];
  /** Devices with readings beyond the allowed lateness, rebuilt from their readings in `ts` order. */
  second_pass: { devices: number; readings: number; device_ids?: string[] };
  seconds: number;
  records_per_s: number;
  /** Rows rewritten (with --dry-run: that would be). */
  rows: { readings: number; ledger: number; anomalies: number; hourly: number; daily: number };
  hourly: RowChanges;
  daily: RowChanges;
  /** Per device, when there are at most PER_DEVICE_MAX of them. */
  per_device?: Record<string, DeviceChanges>;
}

/** Invalid arguments: the caller's to fix (CLI exit code 2, API 400). */
export class ReplayInputError extends Error {}

const PER_DEVICE_MAX = 10;
const MAX_WORKERS = 64;

export async function replayRange(config: Config, options: ReplayOptions): Promise<ReplaySummary> {
  const { range, only } = checkReplayOptions(options);
  const started = performance.now();
  const pool = postgresPool(config, 2);
  const questdb = questdbPool(config, 2);
  const out = new ChunkedWriter();
  try {
    // Rows written before the ledger's DDL ran would create its tables over ILP, without their DEDUP keys.
    await ensureLedgerTables(questdb);
    if (!options.dryRun) out.open(await IlpPoster.open(config));
    const registry = new RegistryCache(pool);
    await registry.load();
    const partitions = await topicExtent(config);
    // The stored rows, read before any hourly or daily row is written (what the rewrite changes) and while the
    // shards run, which write none of them. Anomalies they write are ones they compute: whether read or not, they
    // stay.
    const filter = { devices: only && [...only] };
    const stored = Promise.all([
      queryHours(questdb, range.from, range.to, filter),
      queryDays(questdb, range.from - DAY_MS + 1, range.to, filter),
      queryAnomalies(questdb, range.from, range.to, filter),
    ]);
    stored.catch(() => {}); // awaited below; a failure while the shards run must not end the process first
    const jobs = shareOut(partitions, options.workers ?? availableParallelism()).map(
      (share): ShardJob => ({
        range,
        only: only && [...only],
        dryRun: options.dryRun === true,
        readings: options.withReadings === true,
        partitions: share,
      }),
    );
    const shards = await runShards(config, jobs, options.onProgress);
    const report = new ChangeReport(...(await stored));
    await writeRollups(shards, registry, range, report, out);
    report.finish();
    const seconds = (performance.now() - started) / 1000;
    const records = sum(shards, (s) => s.records);
    const secondPass = shards.flatMap((s) => s.secondPass).sort();
    const folded = new Set(shards.flatMap((s) => s.devices));
    return {
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      dry_run: options.dryRun === true,
      records,
      readings: sum(shards, (s) => s.readings),
      devices: folded.size,
      ...(only ? { without_readings: [...only].filter((d) => !folded.has(d)) } : {}),
      second_pass: {
        devices: secondPass.length,
        readings: sum(shards, (s) => s.secondPassReadings),
        ...(secondPass.length <= PER_DEVICE_MAX ? { device_ids: secondPass } : {}),
      },
      seconds: Math.round(seconds * 1000) / 1000,
      records_per_s: Math.round(records / seconds),
      rows: {
        readings: sum(shards, (s) => s.counts.readings),
        ledger: sum(shards, (s) => s.counts.ledger),
        anomalies: sum(shards, (s) => s.counts.anomalies) + out.counts.anomalies,
        hourly: out.counts.hourly,
        daily: out.counts.daily,
      },
      ...report.total,
      ...(report.devices.size <= PER_DEVICE_MAX ? { per_device: Object.fromEntries(report.devices) } : {}),
    };
  } finally {
    await out.close();
    await Promise.all([pool.end(), questdb.end()]);
  }
}

/** The range and devices of a replay; throws ReplayInputError on invalid ones (callers check before starting). */
export function checkReplayOptions(options: Pick<ReplayOptions, "from" | "to" | "devices" | "workers">): {
  range: Range;
  only: ReadonlySet<string> | undefined;
} {
  const range = { from: instant("from", options.from), to: instant("to", options.to) };
  if (range.from >= range.to)
    throw new ReplayInputError(`from (${options.from}) must be before to (${options.to})`);
  const { workers } = options;
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= MAX_WORKERS))
    throw new ReplayInputError(`workers (${workers}) must be a whole number from 1 to ${MAX_WORKERS}`);
  return { range, only: options.devices ? selectedDevices(options.devices) : undefined };
}

function instant(name: string, value: string | number): number {
  const t = parseTimestamp(typeof value === "string" ? value.trim() : value);
  if (typeof t === "number") return t;
  throw new ReplayInputError(
    `${name} ${JSON.stringify(value)}: ${t.replace(/^ts: /, "")}; expected ISO-8601 with Z or an offset, e.g. 2025-01-01T00:00:00Z`,
  );
}

function selectedDevices(devices: readonly string[]): Set<string> {
  if (devices.length === 0 || devices.some((d) => typeof d !== "string" || d.trim() === ""))
    throw new ReplayInputError("devices: give one or more non-empty device ids");
  return new Set(devices);
}

/** Each partition of the topic: its first offset and the last one now, where the replay stops (later are the stream's). */
async function topicExtent(config: Config): Promise<ShardJob["partitions"]> {
  const admin = createKafka(config, "wattline-replay").admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(TOPICS.telemetry)).map((o) => ({
      partition: o.partition,
      low: BigInt(o.low),
      until: BigInt(o.high) - 1n,
    }));
  } finally {
    await admin.disconnect();
  }
}

/** The partitions in `count` shares of about as many records, largest first to the least loaded share. */
export function shareOut<P extends { low: bigint; until: bigint }>(
  partitions: readonly P[],
  count: number,
): P[][] {
  const n = Math.max(1, Math.min(Math.floor(count), partitions.length));
  const shares = Array.from({ length: n }, () => ({ records: 0n, partitions: [] as P[] }));
  const size = (p: P) => p.until - p.low + 1n;
  for (const p of [...partitions].sort((a, b) => (size(b) > size(a) ? 1 : size(b) < size(a) ? -1 : 0))) {
    const least = shares.reduce((a, b) => (b.records < a.records ? b : a));
    least.partitions.push(p);
    least.records += size(p);
  }
  return shares.map((s) => s.partitions).filter((s) => s.length > 0);
}

/** Runs each job in a worker thread; the first failure ends them all. */
async function runShards(
  config: Config,
  jobs: ShardJob[],
  onProgress: ReplayOptions["onProgress"],
): Promise<ShardResult[]> {
  const progress = new ShardProgress(jobs.length, onProgress);
  const workers = await Promise.all(
    jobs.map((job) => startWorker(new URL("./replay-worker.ts", import.meta.url), { config, job })),
  );
  try {
    return await Promise.all(
      workers.map(
        (worker, i) =>
          new Promise<ShardResult>((resolve, reject) => {
            worker.on("message", (m: { progress: ReplayProgress } | { result: ShardResult }) => {
              if ("progress" in m) progress.update(i, m.progress);
              else {
                progress.done(i);
                resolve(m.result);
              }
            });
            worker.on("error", reject);
            worker.on("exit", (code) =>
              reject(new Error(`replay shard ${i} ended (exit code ${code}) without a result`)),
            );
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The shards' progress as one: pass 1 while any shard is in it, then the partitions pass 2 reads again. */
class ShardProgress {
  readonly #last: (ReplayProgress | undefined)[];
  readonly #first: (PartitionProgress[] | undefined)[];

  constructor(
    count: number,
    private readonly onProgress: ReplayOptions["onProgress"],
  ) {
    this.#last = Array.from({ length: count }, () => undefined);
    this.#first = Array.from({ length: count }, () => undefined);
  }

  update(shard: number, p: ReplayProgress): void {
    this.#last[shard] = p;
    if (p.pass === 1) this.#first[shard] = p.partitions;
    this.#emit();
  }

  done(shard: number): void {
    const first = this.#first[shard];
    if (first) this.#first[shard] = first.map((p) => ({ ...p, read: p.total }));
    this.#last[shard] = undefined;
    this.#emit();
  }

  #emit(): void {
    if (!this.onProgress) return;
    const inFirst = this.#last.some((p) => p?.pass === 1);
    const partitions = inFirst
      ? this.#first.flatMap((p) => p ?? [])
      : this.#last.flatMap((p) => (p?.pass === 2 ? p.partitions : []));
    if (!inFirst && partitions.length === 0) return;
    this.onProgress({
      pass: inFirst ? 1 : 2,
      partitions: partitions.sort((a, b) => a.partition - b.partition),
    });
  }
}

/** Compares and writes every device's hourly and daily rows of the range, and retracts stored ones it no longer has. */
async function writeRollups(
  shards: readonly ShardResult[],
  registry: RegistryCache,
  range: Range,
  report: ChangeReport,
  out: ChunkedWriter,
): Promise<void> {
  const computed = new Set(shards.flatMap((s) => s.anomalies));
  for (const { device, rows: buckets } of shards.flatMap((s) => s.rollups)) {
    const rows = new LedgerRows();
    rows.addStep(device, { outputs: [], ...buckets }, registry.devices.get(device), registry.versions, range);
    report.compare(rows);
    rows.retract(report.staleOf(device, (key) => computed.has(key)));
    for (const [k, v] of rows.anomalies) out.rows.anomalies.set(k, v);
    for (const [k, v] of rows.hours) out.rows.hours.set(k, v);
    for (const [k, v] of rows.days) out.rows.days.set(k, v);
    await out.maybeFlush();
  }
  await out.flush();
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += of(item);
  return total;
}
