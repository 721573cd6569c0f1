// Replay: rebuilds the ledger of [from, to) from the telemetry topic with the stream's own pure core, and rewrites
// those rows (readings, ledger, anomalies, hourly, daily) as upserts, so a replay can be repeated at any time.
//
// A device's state at `from` depends on every reading before it, so each partition is read from its start (up to
// the offsets it held when the replay began). Pass 1 folds every device in offset order, as the stream does. A
// device for which that fold reports a reading later than the allowed lateness is not the batch result: its
// readings are read again (pass 2, only its partitions) and rebuilt in `ts` order. Memory holds one state and the
// range's hour buckets per device; only pass-2 devices hold their readings.

import type { Config } from "../../ground/config.ts";
import type { Kafka, KafkaMessage } from "../../ground/kafka.ts";
import { createKafka } from "../../ground/kafka.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { questdbPool, questdbSender, type Sender } from "../../ground/questdb.ts";
import { TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { TelemetryReading } from "../../schemas/generated/types.ts";
import { ensureLedgerTables } from "../../schemas/questdb/ledger.ts";
import { ledgerRebuild } from "../core/ledger-stream.ts";
import type { Output } from "../core/outputs.ts";
import { parseTimestamp, type Reading } from "../core/reading.ts";
import { readTopic } from "../runtime/read-topic.ts";
import { DAY_MS, queryAnomalies, queryDays, queryHours } from "./energy-rows.ts";
import { toReading } from "./readings.ts";
import { RegistryCache } from "./registry-cache.ts";
import { ChangeReport, type DeviceChanges, type RowChanges } from "./replay-diff.ts";
import { DeviceReplay, type Range } from "./replay-fold.ts";
import { LedgerRows } from "./sink.ts";

export interface ReplayOptions {
  /** ISO-8601 with Z or an offset, or epoch ms. */
  from: string | number;
  to: string | number;
  /** Only these devices; every device on the topic when absent. */
  devices?: readonly string[];
  /** Compute and report; write nothing. */
  dryRun?: boolean;
  /** Called after every batch read from Kafka. */
  onProgress?: (progress: ReplayProgress) => void;
}

export interface PartitionProgress {
  partition: number;
  /** Records read (offsets passed), of `total` up to the offset the replay stops at. */
  read: number;
  total: number;
}

export interface ReplayProgress {
  pass: 1 | 2;
  partitions: PartitionProgress[];
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
/** Rows per ILP request (one WAL transaction): well under the client's buffer limit. */
const CHUNK_ROWS = 10_000;

export async function replayRange(config: Config, options: ReplayOptions): Promise<ReplaySummary> {
  const { range, only } = checkReplayOptions(options);
  const started = performance.now();
  const kafka = createKafka(config, "wattline-replay");
  const pool = postgresPool(config, 2);
  const questdb = questdbPool(config, 2);
  let sender: Sender | undefined;
  try {
    // Rows written before the ledger's DDL ran would create its tables over ILP, without their DEDUP keys.
    await ensureLedgerTables(questdb);
    sender = options.dryRun ? undefined : await questdbSender(config);
    const registry = new RegistryCache(pool);
    await registry.load();
    const replay = new Replay(
      config,
      kafka,
      registry,
      range,
      only,
      new ChunkedWriter(sender),
      options.onProgress,
    );
    await replay.run();
    // Read before any hourly or daily row is written: what the rewrite changes.
    const report = new ChangeReport(
      await queryHours(questdb, range.from, range.to, { devices: only && [...only] }),
      await queryDays(questdb, range.from - DAY_MS + 1, range.to, { devices: only && [...only] }),
      await queryAnomalies(questdb, range.from, range.to, { devices: only && [...only] }),
    );
    const rows = await replay.writeRollups(report);
    report.finish();
    const seconds = (performance.now() - started) / 1000;
    return {
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      dry_run: options.dryRun === true,
      records: replay.records,
      readings: replay.readings,
      devices: replay.deviceCount,
      ...(only ? { without_readings: [...only].filter((d) => !replay.folded(d)) } : {}),
      second_pass: {
        devices: replay.secondPass.length,
        readings: replay.secondPassReadings,
        ...(replay.secondPass.length <= PER_DEVICE_MAX ? { device_ids: replay.secondPass } : {}),
      },
      seconds: Math.round(seconds * 1000) / 1000,
      records_per_s: Math.round(replay.records / seconds),
      rows,
      ...report.total,
      ...(report.devices.size <= PER_DEVICE_MAX ? { per_device: Object.fromEntries(report.devices) } : {}),
    };
  } finally {
    await sender?.close();
    await Promise.all([pool.end(), questdb.end()]);
  }
}

/** The range and devices of a replay; throws ReplayInputError on invalid ones (callers check before starting). */
export function checkReplayOptions(options: Pick<ReplayOptions, "from" | "to" | "devices">): {
  range: Range;
  only: ReadonlySet<string> | undefined;
} {
  const range = { from: instant("from", options.from), to: instant("to", options.to) };
  if (range.from >= range.to)
    throw new ReplayInputError(`from (${options.from}) must be before to (${options.to})`);
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

/** LedgerRows flushed every CHUNK_ROWS rows, so rows per reading never pile up; without a sender, only counted. */
class ChunkedWriter {
  readonly counts = { readings: 0, ledger: 0, anomalies: 0, hourly: 0, daily: 0 };
  rows = new LedgerRows();

  constructor(private readonly sender: Sender | undefined) {}

  async maybeFlush(): Promise<void> {
    if (this.rows.size >= CHUNK_ROWS) await this.flush();
  }

  async flush(): Promise<void> {
    const r = this.rows;
    this.rows = new LedgerRows();
    this.counts.readings += r.readings.size;
    this.counts.ledger += r.ledger.size;
    this.counts.anomalies += r.anomalies.size;
    this.counts.hourly += r.hours.size;
    this.counts.daily += r.days.size;
    if (!this.sender || r.size === 0) return;
    await r.writeTo(this.sender);
    await this.sender.flush();
  }
}

class Replay {
  readonly #store = schemaStore();
  readonly #folds = new Map<string, DeviceReplay>();
  /** Pass-2 devices, with the partition their readings are in. */
  readonly #late = new Map<string, number>();
  readonly #rebuilt: DeviceReplay[] = [];
  /** Keys of the anomalies the replay computed, so that stored ones it did not are retracted. */
  readonly #anomalies = new Set<string>();
  #until = new Map<number, bigint>();
  #progress = new Map<number, PartitionProgress & { low: bigint }>();
  records = 0;
  readings = 0;
  secondPassReadings = 0;

  constructor(
    private readonly config: Config,
    private readonly kafka: Kafka,
    private readonly registry: RegistryCache,
    private readonly range: Range,
    private readonly only: ReadonlySet<string> | undefined,
    private readonly out: ChunkedWriter,
    private readonly onProgress: ((p: ReplayProgress) => void) | undefined,
  ) {}

  get deviceCount(): number {
    return this.#folds.size + this.#rebuilt.length;
  }

  folded(device: string): boolean {
    return this.#folds.has(device) || this.#late.has(device);
  }

  get secondPass(): string[] {
    return [...this.#late.keys()].sort();
  }

  async run(): Promise<void> {
    await this.#snapshot();
    this.#report(1);
    await readTopic(this.kafka, TOPICS.telemetry, {
      until: this.#until,
      onBatch: (p, messages) => this.#pass1(p, messages),
    });
    for (const [device, fold] of this.#folds) this.#ledgerRows(device, fold.finish());
    if (this.#late.size > 0) await this.#pass2();
    await this.out.flush();
  }

  /** The offsets to stop at: what each partition holds now. Later records are the stream's. */
  async #snapshot(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const o of await admin.fetchTopicOffsets(TOPICS.telemetry)) {
        const low = BigInt(o.low);
        const high = BigInt(o.high);
        this.#until.set(o.partition, high - 1n);
        this.#progress.set(o.partition, { partition: o.partition, read: 0, total: Number(high - low), low });
      }
    } finally {
      await admin.disconnect();
    }
  }

  async #pass1(partition: number, messages: KafkaMessage[]): Promise<void> {
    for (const m of messages) {
      const device = m.key?.toString();
      if (!device || (this.only && !this.only.has(device))) continue;
      const record = this.#decode(m.value);
      if (!record) continue;
      this.readings++;
      if (record.ts >= this.range.from && record.ts < this.range.to) this.out.rows.addReading(record);
      if (this.#late.has(device)) continue;
      let fold = this.#folds.get(device);
      if (!fold) {
        fold = new DeviceReplay(this.registry.settingsFor(device), this.range, this.#lateness);
        this.#folds.set(device, fold);
      }
      const outputs = fold.step(toReading(record));
      if (fold.late) {
        // Its outputs so far may differ from the batch's: pass 2 rewrites its rows from all its readings.
        this.#folds.delete(device);
        this.#late.set(device, partition);
      } else this.#ledgerRows(device, outputs);
    }
    this.records += messages.length;
    this.#advance(1, partition, messages);
    await this.out.maybeFlush();
  }

  async #pass2(): Promise<void> {
    const readings = new Map<string, Reading[]>([...this.#late.keys()].map((d) => [d, []]));
    const partitions = [...new Set(this.#late.values())];
    for (const p of this.#progress.values()) p.read = 0;
    this.#report(2);
    await readTopic(this.kafka, TOPICS.telemetry, {
      partitions,
      until: this.#until,
      onBatch: (p, messages) => {
        for (const m of messages) {
          const list = readings.get(m.key?.toString() ?? "");
          const record = list && this.#decode(m.value);
          if (record) list.push(toReading(record));
        }
        this.#advance(2, p, messages);
      },
    });
    for (const [device, list] of readings) {
      this.secondPassReadings += list.length;
      const settings = this.registry.settingsFor(device);
      const step = ledgerRebuild(list, settings, this.#lateness);
      readings.delete(device);
      const fold = DeviceReplay.rebuilt(step, settings, this.range, this.#lateness);
      this.#ledgerRows(device, [...step.outputs, ...fold.finish()]);
      this.#rebuilt.push(fold);
      await this.out.maybeFlush();
    }
  }

  /** Compares and writes every device's hourly and daily rows of the range; returns the row counts. */
  async writeRollups(report: ChangeReport): Promise<ReplaySummary["rows"]> {
    const devices = [...this.#folds, ...this.#rebuilt.map((f) => [f.settings.device_id, f] as const)];
    for (const [device, fold] of devices) {
      const rows = new LedgerRows();
      rows.addStep(
        device,
        { outputs: [], ...fold.rows() },
        this.registry.devices.get(device),
        this.registry.versions,
        this.range,
      );
      report.compare(rows);
      rows.retract(report.staleOf(device, (key) => this.#anomalies.has(key)));
      for (const [k, v] of rows.anomalies) this.out.rows.anomalies.set(k, v);
      for (const [k, v] of rows.hours) this.out.rows.hours.set(k, v);
      for (const [k, v] of rows.days) this.out.rows.days.set(k, v);
      await this.out.maybeFlush();
    }
    await this.out.flush();
    return this.out.counts;
  }

  #ledgerRows(device: string, outputs: Output[]): void {
    if (outputs.length === 0) return;
    this.out.rows.addOutputs(device, outputs, this.range);
    for (const o of outputs) if (o.kind === "anomaly") this.#anomalies.add(`${device}|${o.ts}|${o.type}`);
  }

  get #lateness(): number {
    return this.config.ledger.allowedLatenessMs;
  }

  #decode(value: Buffer | null): TelemetryReading | undefined {
    if (!value) return undefined;
    try {
      const decoded = this.#store.decode(value);
      return decoded.name === "TelemetryReading" ? decoded.record : undefined;
    } catch {
      return undefined; // not a reading: skipped, as the stream skips it
    }
  }

  #advance(pass: 1 | 2, partition: number, messages: KafkaMessage[]): void {
    const p = this.#progress.get(partition);
    const last = messages.at(-1);
    if (p && last) p.read = Number(BigInt(last.offset) - p.low + 1n);
    this.#report(pass);
  }

  #report(pass: 1 | 2): void {
    if (!this.onProgress) return;
    const partitions = [...this.#progress.values()]
      .filter((p) => pass === 1 || [...this.#late.values()].includes(p.partition))
      .map(({ partition, read, total }) => ({ partition, read, total }))
      .sort((a, b) => a.partition - b.partition);
    this.onProgress({ pass, partitions });
  }
}
