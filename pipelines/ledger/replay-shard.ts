// One shard of a replay: some partitions of the telemetry topic, up to the offsets the replay stops at. A device's
// readings are all in one partition, so shards share nothing: each folds its devices and writes their ledger rows
// and anomalies (and readings, when asked), and hands back each device's hour buckets for the hourly and daily rows, which the
// replay compares with the stored ones and writes once every shard is done.
//
// Pass 1 folds every device in offset order, as the stream does. A device for which that fold reports a reading
// later than the allowed lateness is not the batch result: its readings are read again (pass 2, only its
// partitions) and rebuilt in `ts` order. Memory holds one state and the range's hour buckets per device; only
// pass-2 devices hold their readings.
import type { Config } from "../../ground/config.ts";
import { IlpPoster } from "../../ground/ilp.ts";
import { createKafka, type Kafka, type KafkaMessage } from "../../ground/kafka.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { ledgerRebuild } from "../core/ledger-stream.ts";
import type { Output } from "../core/outputs.ts";
import type { DeviceInput } from "../core/replacement.ts";
import { ReadAhead } from "../runtime/read-ahead.ts";
import { readTopic } from "../runtime/read-topic.ts";
import { ledgerHead, readingHead } from "./energy-rows.ts";
import { decodeTelemetry, type TelemetryInput, toInput } from "./readings.ts";
import { RegistryCache } from "./registry-cache.ts";
import { DeviceReplay, type Range } from "./replay-fold.ts";
import { ChunkedWriter, type DeviceHeads } from "./replay-writer.ts";

/** What a shard reads: structured-cloneable, as a worker thread receives it. */
export interface ShardJob {
  range: Range;
  /** Only these devices; every device when absent. */
  only: string[] | undefined;
  dryRun: boolean;
  /** Whether to rewrite the readings rows (ReplayOptions.withReadings). */
  readings: boolean;
  /** The shard's partitions, each with its first offset and the last one to read. */
  partitions: { partition: number; low: bigint; until: bigint }[];
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

/** A device's hour buckets in the range, for its hourly and daily rows. */
export interface DeviceRollup {
  device: string;
  rows: ReturnType<DeviceReplay["rows"]>;
}

export interface ShardResult {
  records: number;
  readings: number;
  /** Devices taken in: all of them, or those of `only`. */
  devices: string[];
  secondPass: string[];
  secondPassReadings: number;
  /** Rows written: readings, ledger entries, anomalies and replacements. */
  counts: ChunkedWriter["counts"];
  /** Keys (`device|ts|type`) of the anomalies the shard computed, so that stored ones it did not are retracted. */
  anomalies: string[];
  rollups: DeviceRollup[];
}

export async function runShard(
  config: Config,
  job: ShardJob,
  onProgress: (p: ReplayProgress) => void,
): Promise<ShardResult> {
  const kafka = createKafka(config, "wattline-replay");
  const pool = postgresPool(config, 1);
  const out = new ChunkedWriter();
  try {
    if (!job.dryRun) out.open(await IlpPoster.open(config));
    const registry = new RegistryCache(pool);
    await registry.load();
    const shard = new Shard(config, kafka, registry, job, out, onProgress);
    await shard.run();
    return shard.result();
  } finally {
    await out.close();
    await pool.end();
  }
}

/** A device of the shard: its pass-1 fold (none once it is a pass-2 device), and its rows' heads. */
interface Device {
  id: string;
  fold: DeviceReplay | undefined;
  heads: DeviceHeads;
}

class Shard {
  readonly #store = schemaStore();
  readonly #only: ReadonlySet<string> | undefined;
  readonly #range: Range;
  readonly #writeReadings: boolean;
  /** Every device taken in, found with one lookup per record. */
  readonly #devices = new Map<string, Device>();
  /** Pass-2 devices, with the partition their readings are in. */
  readonly #late = new Map<string, number>();
  readonly #rebuilt: DeviceReplay[] = [];
  readonly #anomalies = new Set<string>();
  readonly #until = new Map<number, bigint>();
  readonly #progress = new Map<number, PartitionProgress & { low: bigint }>();
  #records = 0;
  #readings = 0;
  #secondPassReadings = 0;

  constructor(
    private readonly config: Config,
    private readonly kafka: Kafka,
    private readonly registry: RegistryCache,
    job: ShardJob,
    private readonly out: ChunkedWriter,
    private readonly onProgress: (p: ReplayProgress) => void,
  ) {
    this.#range = job.range;
    this.#writeReadings = job.readings;
    this.#only = job.only && new Set(job.only);
    for (const { partition, low, until } of job.partitions) {
      this.#until.set(partition, until);
      this.#progress.set(partition, { partition, read: 0, total: Number(until - low + 1n), low });
    }
  }

  async run(): Promise<void> {
    this.#report(1);
    const ahead = new ReadAhead();
    await readTopic(this.kafka, TOPICS.telemetry, {
      partitions: [...this.#until.keys()],
      until: this.#until,
      onBatch: (p, messages) => ahead.add(() => this.#pass1(p, messages)),
    });
    await ahead.settled();
    for (const device of this.#devices.values())
      if (device.fold) this.#ledgerRows(device, device.fold.finish());
    if (this.#late.size > 0) await this.#pass2();
    await this.out.flush();
  }

  result(): ShardResult {
    const rollups: DeviceRollup[] = [];
    for (const { id, fold } of this.#devices.values())
      if (fold) rollups.push({ device: id, rows: fold.rows() });
    for (const fold of this.#rebuilt) rollups.push({ device: fold.settings.device_id, rows: fold.rows() });
    return {
      records: this.#records,
      readings: this.#readings,
      devices: [...this.#devices.keys()],
      secondPass: [...this.#late.keys()],
      secondPassReadings: this.#secondPassReadings,
      counts: this.out.counts,
      anomalies: [...this.#anomalies],
      rollups,
    };
  }

  async #pass1(partition: number, messages: KafkaMessage[]): Promise<void> {
    for (const m of messages) {
      const device = m.key?.toString();
      if (!device || (this.#only && !this.#only.has(device))) continue;
      const input = this.#decode(m.value);
      if (!input) continue;
      const record = input.record;
      this.#readings++;
      const inRange = this.#inRange(record.ts);
      let entry = this.#devices.get(device);
      if (entry === undefined) {
        const fold = new DeviceReplay(this.registry.settingsFor(device), this.#range, this.#lateness);
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
    this.#records += messages.length;
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
      this.#secondPassReadings += list.length;
      const settings = this.registry.settingsFor(device);
      const step = ledgerRebuild(list, settings, this.#lateness);
      readings.delete(device);
      const fold = DeviceReplay.rebuilt(step, settings, this.#range, this.#lateness);
      this.#ledgerRows(this.#devices.get(device) as Device, [...step.outputs, ...fold.finish()]);
      this.#rebuilt.push(fold);
      await this.out.maybeFlush();
    }
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

  /** The row of a reading (when asked for) or replacement taken in: readings streamed, replacements with the rest. */
  #inputRow(input: TelemetryInput, heads: DeviceHeads): void {
    if (input.name === "MeterReplacement") this.out.rows.addReplacement(input.record);
    else if (this.#writeReadings) this.out.reading(input.record, heads);
  }

  #inRange(t: number): boolean {
    return t >= this.#range.from && t < this.#range.to;
  }

  get #lateness(): number {
    return this.config.ledger.allowedLatenessMs;
  }

  /** A reading or replacement the stream takes in (its ts in range); anything else is skipped, as there. */
  #decode(value: Buffer | null): TelemetryInput | undefined {
    return value ? decodeTelemetry(this.#store, value, this.config.ingest.maxFutureMs) : undefined;
  }

  #advance(pass: 1 | 2, partition: number, messages: KafkaMessage[]): void {
    const p = this.#progress.get(partition);
    const last = messages.at(-1);
    if (p && last) p.read = Number(BigInt(last.offset) - p.low + 1n);
    this.#report(pass);
  }

  #report(pass: 1 | 2): void {
    const partitions = [...this.#progress.values()]
      .filter((p) => pass === 1 || [...this.#late.values()].includes(p.partition))
      .map(({ partition, read, total }) => ({ partition, read, total }));
    this.onProgress({ pass, partitions });
  }
}

/** Whether the fold's outputs flag the input at `ts` a duplicate (a loop: a closure per reading adds up). */
function duplicateAt(outputs: readonly Output[], ts: number): boolean {
  for (const o of outputs) if (o.kind === "duplicate" && o.ts === ts) return true;
  return false;
}
