// Replay: rebuilds the ledger of [from, to) from the telemetry topic with the stream's own pure core, and rewrites
// those rows (readings, ledger, anomalies, hourly, daily) as upserts, so a replay can be repeated at any time.
//
// A device's state at `from` depends on every reading before it, so each partition is read from its start (up to
// the offsets it held when the replay began). Pass 1 folds every device in offset order, as the stream does. A
// device for which that fold reports a reading later than the allowed lateness is not the batch result: its
// readings are read again (pass 2, only its partitions) and rebuilt in `ts` order. Memory holds one state and the
// range's hour buckets per device; only pass-2 devices hold their readings.
import type { Config } from "../../ground/config.ts";
import { type IlpBody, IlpPoster } from "../../ground/ilp.ts";
import { createKafka, type Kafka, type KafkaMessage } from "../../ground/kafka.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { questdbPool } from "../../ground/questdb.ts";
import { TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { TelemetryReading } from "../../schemas/generated/types.ts";
import { ensureLedgerTables } from "../../schemas/questdb/ledger.ts";
import { ledgerRebuild } from "../core/ledger-stream.ts";
import type { Anomaly, LedgerEntry, Output } from "../core/outputs.ts";
import { parseTimestamp } from "../core/reading.ts";
import type { DeviceInput } from "../core/replacement.ts";
import { ReadAhead } from "../runtime/read-ahead.ts";
import { readTopic } from "../runtime/read-topic.ts";
import {
  DAY_MS,
  ledgerHead,
  queryAnomalies,
  queryDays,
  queryHours,
  readingHead,
  writeLedgerRow,
  writeReadingRow,
} from "./energy-rows.ts";
import { type TelemetryInput, toInput } from "./readings.ts";
import { RegistryCache } from "./registry-cache.ts";
import { ChangeReport, type DeviceChanges, type RowChanges } from "./replay-diff.ts";
import { DeviceReplay, type Range } from "./replay-fold.ts";
import type { RowHead } from "./row-heads.ts";
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
/**
 * Rows per chunk, about half of them per ILP request (one WAL transaction, some 7 MB): QuestDB merges fewer,
 * larger transactions into a day's partition with less work (measured: a day of 2,000 devices took it 20 s of
 * CPU in requests of 5,000 rows, 13 s in requests of 50,000).
 */
const CHUNK_ROWS = 100_000;

export async function replayRange(config: Config, options: ReplayOptions): Promise<ReplaySummary> {
  const { range, only } = checkReplayOptions(options);
  const started = performance.now();
  const kafka = createKafka(config, "wattline-replay");
  const pool = postgresPool(config, 2);
  const questdb = questdbPool(config, 2);
  const out = new ChunkedWriter();
  try {
    // Rows written before the ledger's DDL ran would create its tables over ILP, without their DEDUP keys.
    await ensureLedgerTables(questdb);
    if (!options.dryRun) out.open(await IlpPoster.open(config));
    const registry = new RegistryCache(pool);
    await registry.load();
    const replay = new Replay(config, kafka, registry, range, only, out, options.onProgress);
    // The stored rows, read before any hourly or daily row is written (what the rewrite changes) and while pass 1
    // runs, which writes none of them. Anomalies it writes are ones it computes: whether read or not, they stay.
    const filter = { devices: only && [...only] };
    const stored = Promise.all([
      queryHours(questdb, range.from, range.to, filter),
      queryDays(questdb, range.from - DAY_MS + 1, range.to, filter),
      queryAnomalies(questdb, range.from, range.to, filter),
    ]);
    stored.catch(() => {}); // awaited below; a failure while pass 1 runs must not end the process first
    await replay.run();
    const report = new ChangeReport(...(await stored));
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
    await out.close();
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

/**
 * The rows of a replay, sent every CHUNK_ROWS rows so that they never pile up; without a poster, only counted.
 *
 * `readings` and `ledger` rows, one each per reading, go straight into request bodies in the order they are made:
 * QuestDB keeps the last of the rows with one key, within a request as across requests, so this stores what a
 * map by key would, without a key string and a map entry per row. Anomalies, hours and days are keyed (`rows`),
 * as the change report and retraction need them, and go with the ledger rows.
 *
 * Readings and the rest are sent in two lanes, each one request at a time, so each table's WAL transactions keep
 * their order; the lanes run side by side (QuestDB takes two requests on two threads nearly twice as fast) while
 * the next chunk is computed.
 */
class ChunkedWriter {
  /** Rows written per table: `readings` and `ledger` as sent. */
  readonly counts = { readings: 0, ledger: 0, anomalies: 0, hourly: 0, daily: 0 };
  rows = new LedgerRows();
  #lanes: { readings: Lane; ledger: Lane } | undefined;
  /** Rows sent straight into the bodies since the last chunk. */
  #streamed = 0;

  #poster: IlpPoster | undefined;

  open(poster: IlpPoster): void {
    this.#poster = poster;
    this.#lanes = { readings: new Lane(poster), ledger: new Lane(poster) };
  }

  reading(r: TelemetryReading, heads: DeviceHeads): void {
    this.counts.readings++;
    this.#streamed++;
    if (this.#lanes) writeReadingRow(this.#lanes.readings.body, r, heads.readings);
  }

  ledger(e: LedgerEntry | Anomaly, heads: DeviceHeads): void {
    this.counts.ledger++;
    this.#streamed++;
    if (this.#lanes) writeLedgerRow(this.#lanes.ledger.body, e, heads.ledger);
  }

  async maybeFlush(): Promise<void> {
    if (this.#streamed + this.rows.size >= CHUNK_ROWS) await this.#send();
  }

  /** Sends what is held and waits until every row sent is written. */
  async flush(): Promise<void> {
    await this.#send();
    await this.settled();
  }

  /**
   * Waits for the requests in flight and closes the connections. A failed request is `flush`'s to report (a
   * replay that gets this far without an error has flushed); here it would hide the error that ended the replay.
   */
  async close(): Promise<void> {
    await this.settled().catch(() => {});
    this.#poster?.close();
  }

  /** Waits for the requests in flight; throws the error of one that failed. */
  async settled(): Promise<void> {
    if (!this.#lanes) return;
    await Promise.all([this.#lanes.readings.settled(), this.#lanes.ledger.settled()]);
  }

  async #send(): Promise<void> {
    const r = this.rows;
    this.rows = new LedgerRows();
    this.#streamed = 0;
    this.counts.anomalies += r.anomalies.size;
    this.counts.hourly += r.hours.size;
    this.counts.daily += r.days.size;
    if (!this.#lanes) return;
    await r.writeTo(this.#lanes.ledger.body);
    await this.#lanes.readings.send();
    await this.#lanes.ledger.send();
  }
}

/** Request bodies sent one after another: each waits for the one before it to be written. */
class Lane {
  body: IlpBody;
  #sending: Promise<void> = Promise.resolve();
  #failed: { error: unknown } | undefined;

  constructor(private readonly poster: IlpPoster) {
    this.body = poster.body();
  }

  /** Waits until the previous body is written, then sends this one (without waiting for it). */
  async send(): Promise<void> {
    if (this.body.rows === 0) return;
    const request = this.body.take();
    await this.settled();
    // A failure is caught at once (an unhandled rejection would end the process) and rethrown by `settled`.
    this.#sending = this.poster.post(request).then(
      () => this.body.recycle(request),
      (error: unknown) => {
        this.#failed = { error };
      },
    );
  }

  async settled(): Promise<void> {
    await this.#sending;
    if (this.#failed) throw this.#failed.error;
  }
}

/** A device's `readings` and `ledger` row heads. */
interface DeviceHeads {
  readings: RowHead;
  ledger: RowHead;
}

/** A device of the replay: its pass-1 fold (none once it is a pass-2 device), and its rows' heads. */
interface Device {
  id: string;
  fold: DeviceReplay | undefined;
  heads: DeviceHeads;
}

class Replay {
  readonly #store = schemaStore();
  /** Every device taken in, found with one lookup per record. */
  readonly #devices = new Map<string, Device>();
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
    return this.#folded().length + this.#rebuilt.length;
  }

  folded(device: string): boolean {
    return this.#devices.has(device);
  }

  get secondPass(): string[] {
    return [...this.#late.keys()].sort();
  }

  async run(): Promise<void> {
    await this.#snapshot();
    this.#report(1);
    const ahead = new ReadAhead();
    await readTopic(this.kafka, TOPICS.telemetry, {
      until: this.#until,
      onBatch: (p, messages) => ahead.add(() => this.#pass1(p, messages)),
    });
    await ahead.settled();
    for (const device of this.#devices.values())
      if (device.fold) this.#ledgerRows(device, device.fold.finish());
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
      const input = this.#decode(m.value);
      if (!input) continue;
      const record = input.record;
      this.readings++;
      const inRange = this.#inRange(record.ts);
      let entry = this.#devices.get(device);
      if (entry === undefined) {
        const fold = new DeviceReplay(this.registry.settingsFor(device), this.range, this.#lateness);
        entry = { id: device, fold, heads: { readings: readingHead(), ledger: ledgerHead() } };
        this.#devices.set(device, entry);
      }
      const fold = entry.fold;
      if (fold === undefined) {
        if (inRange) this.#inputRow(input, entry.heads);
        continue;
      }
      const outputs = fold.step(toInput(input, entry.id));
      // The ledger counts the first of two readings with one ts: so does the readings table, as in the stream.
      if (inRange && !duplicateAt(outputs, record.ts)) this.#inputRow(input, entry.heads);
      if (fold.late) {
        // Its outputs so far may differ from the batch's: pass 2 rewrites its rows from all its readings.
        entry.fold = undefined;
        this.#late.set(device, partition);
      } else this.#ledgerRows(entry, outputs);
    }
    this.records += messages.length;
    this.#advance(1, partition, messages);
    await this.out.maybeFlush();
  }

  async #pass2(): Promise<void> {
    const readings = new Map<string, DeviceInput[]>([...this.#late.keys()].map((d) => [d, []]));
    const partitions = [...new Set(this.#late.values())];
    for (const p of this.#progress.values()) p.read = 0;
    this.#report(2);
    await readTopic(this.kafka, TOPICS.telemetry, {
      partitions,
      until: this.#until,
      onBatch: (p, messages) => {
        for (const m of messages) {
          const list = readings.get(m.key?.toString() ?? "");
          const input = list && this.#decode(m.value);
          if (input) list.push(toInput(input));
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
      this.#ledgerRows(this.#devices.get(device) as Device, [...step.outputs, ...fold.finish()]);
      this.#rebuilt.push(fold);
      await this.out.maybeFlush();
    }
  }

  /** Compares and writes every device's hourly and daily rows of the range; returns the row counts. */
  async writeRollups(report: ChangeReport): Promise<ReplaySummary["rows"]> {
    const devices = [...this.#folded(), ...this.#rebuilt.map((f) => [f.settings.device_id, f] as const)];
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

  /** The devices pass 1 folded to the end, with their folds. */
  #folded(): [string, DeviceReplay][] {
    const folded: [string, DeviceReplay][] = [];
    for (const { id, fold } of this.#devices.values()) if (fold !== undefined) folded.push([id, fold]);
    return folded;
  }

  /** The ledger entries and anomalies of the range, as `LedgerRows.addOutputs` keeps them. */
  #ledgerRows(device: Device, outputs: Output[]): void {
    for (const o of outputs) {
      if (o.kind === "ledger") {
        if (this.#inRange(o.to)) this.out.ledger(o, device.heads);
      } else if (o.kind === "anomaly") {
        const key = `${device.id}|${o.ts}|${o.type}`;
        this.#anomalies.add(key);
        if (!this.#inRange(o.ts)) continue;
        this.out.rows.anomalies.set(key, o);
        // A dropped glitch gets a zero ledger row: a rebuild that drops a reading the stream applied rewrites it.
        if (o.type === "glitch_dropped") this.out.ledger(o, device.heads);
      }
    }
  }

  /** The row of a reading or replacement taken in: readings streamed, replacements with the other rows. */
  #inputRow(input: TelemetryInput, heads: DeviceHeads): void {
    if (input.name === "MeterReplacement") this.out.rows.addReplacement(input.record);
    else this.out.reading(input.record, heads);
  }

  #inRange(t: number): boolean {
    return t >= this.range.from && t < this.range.to;
  }

  get #lateness(): number {
    return this.config.ledger.allowedLatenessMs;
  }

  #decode(value: Buffer | null): TelemetryInput | undefined {
    if (!value) return undefined;
    try {
      const decoded = this.#store.decode(value);
      return decoded.name === "TelemetryReading" || decoded.name === "MeterReplacement"
        ? (decoded as TelemetryInput)
        : undefined;
    } catch {
      return undefined; // not a reading or replacement: skipped, as the stream skips it
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

/** Whether the fold's outputs flag the input at `ts` a duplicate (a loop: a closure per reading adds up). */
function duplicateAt(outputs: readonly Output[], ts: number): boolean {
  for (const o of outputs) if (o.kind === "duplicate" && o.ts === ts) return true;
  return false;
}
