// Automatic recalculation of devices that received readings later than the allowed lateness: each is rebuilt
// from its readings on Kafka in `ts` order, as the batch would, and its rows rewritten. Off the hot path: the
// partition is read by a throwaway consumer while the processor goes on; readings of the devices taken in
// meanwhile are tapped from the live path; only the swap of state and the rewrite run under the partition's lock.
// One job at a time in the process (a global rate limit), one pass over a partition for all its due devices.
import type pg from "pg";
import type { Config } from "../../deploy/config.ts";
import type { Logger } from "../../deploy/logger.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { TelemetryReading } from "../../schemas/generated/types.ts";
import { zoneClock } from "../core/hours.ts";
import { ledgerProvisional, ledgerRebuild, newTouched } from "../core/ledger-stream.ts";
import type { Reading } from "../core/reading.ts";
import { tsOutOfRange } from "../core/ts-range.ts";
import { createKafka, type Kafka } from "../runtime/kafka.ts";
import type { PartitionContext } from "../runtime/processor.ts";
import { questdbSender, type Sender } from "../runtime/questdb.ts";
import { readTopic } from "../runtime/read-topic.ts";
import { serial } from "../runtime/serial.ts";
import { TOPICS } from "../runtime/topics.ts";
import { dayStart, queryAnomalies, queryDays, queryHours } from "./energy-rows.ts";
import { recalculations } from "./metrics.ts";
import { toReading } from "./readings.ts";
import type { RegistryCache } from "./registry-cache.ts";
import { LedgerRows, type StaleRows } from "./sink.ts";
import type { LedgerSlot } from "./slot.ts";

/** Rows per ILP request when a recalculation rewrites a device's history. */
const FLUSH_ROWS = 20_000;

interface Job {
  devices: Set<string>;
  /** Readings of the job's devices taken in by the live path since the job's read started, in offset order. */
  tapped: Map<string, { reading: Reading; offset: bigint }[]>;
}

export class Recalculator {
  readonly #kafka: Kafka;
  readonly #jobs = new Map<number, Job>();
  readonly #oneAtATime = serial();
  readonly #running = new Set<Promise<void>>();
  #sender: Promise<Sender> | undefined;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly registry: RegistryCache,
    private readonly questdb: pg.Pool,
  ) {
    this.#kafka = createKafka(config, `${config.kafka.clientId}-recalculate`);
  }

  /** Starts a job for the partition's due devices, unless one is under way there. */
  request(ctx: PartitionContext<LedgerSlot>, devices: string[]): void {
    if (this.#jobs.has(ctx.partition)) return;
    const job: Job = { devices: new Set(devices), tapped: new Map(devices.map((d) => [d, []])) };
    this.#jobs.set(ctx.partition, job);
    const until = maxOffset(ctx);
    const run = this.#oneAtATime(() => this.#run(ctx, job, until))
      .catch((err) => {
        // The devices' recalcDue stays in their state: tried again at the next tick after the wait.
        this.logger.error(
          { err, partition: ctx.partition, devices },
          "recalculation failed; it will be retried",
        );
      })
      .finally(() => {
        this.#jobs.delete(ctx.partition);
        this.#running.delete(run);
      });
    this.#running.add(run);
  }

  /** Called by the live path for every reading it takes in: a device being recalculated keeps it for the job. */
  tap(partition: number, device: string, reading: Reading, offset: bigint): void {
    this.#jobs.get(partition)?.tapped.get(device)?.push({ reading, offset });
  }

  /** The partition was released: its job's result would belong to another owner. */
  forget(partition: number): void {
    this.#jobs.delete(partition);
  }

  async stop(): Promise<void> {
    this.#jobs.clear();
    await Promise.allSettled([...this.#running]);
    const sender = await this.#sender?.catch(() => undefined);
    await sender?.close();
  }

  async #run(ctx: PartitionContext<LedgerSlot>, job: Job, until: bigint): Promise<void> {
    const p = ctx.partition;
    const read = new Map<string, { reading: Reading; offset: bigint }[]>(
      [...job.devices].map((d) => [d, []]),
    );
    const store = schemaStore();
    if (until >= 0n)
      await readTopic(this.#kafka, TOPICS.telemetry, {
        partitions: [p],
        until: new Map([[p, until]]),
        onBatch: (_partition, messages) => {
          for (const m of messages) {
            const list = read.get(m.key?.toString() ?? "");
            if (list === undefined || !m.value) continue;
            const record = decode(store, m.value, this.config.ingest.maxFutureMs);
            if (record) list.push({ reading: toReading(record), offset: BigInt(m.offset) });
          }
        },
      });
    const applied = await ctx.exclusive(async () => {
      if (this.#jobs.get(p) !== job) return;
      for (const device of job.devices) {
        const all = [
          ...(read.get(device) ?? []),
          ...(job.tapped.get(device) ?? []).filter((t) => t.offset > until),
        ];
        await this.#apply(ctx, device, all);
      }
    });
    if (!applied) this.logger.info({ partition: p }, "recalculation dropped: the partition moved");
  }

  /** Rebuilds one device under the partition's lock and makes its rows durable before its state changes. */
  async #apply(
    ctx: PartitionContext<LedgerSlot>,
    device: string,
    taken: { reading: Reading; offset: bigint }[],
  ): Promise<void> {
    const slot = ctx.store.get(device);
    if (slot === undefined) return;
    const settings = this.registry.settingsFor(device);
    const offsets = new Map(taken.map((t) => [t.reading, t.offset]));
    const rebuilt = ledgerRebuild(
      taken.map((t) => t.reading),
      settings,
      this.config.ledger.allowedLatenessMs,
    );
    const rows = new LedgerRows();
    const entry = this.registry.devices.get(device);
    rows.addStep(device, rebuilt, entry, this.registry.versions);
    if (slot.held.length === 0 && slot.restoring.size === 0) {
      // The live state had released all it held (a silent device's wait): so does the rebuilt one, as then.
      rows.addStep(
        device,
        ledgerProvisional(rebuilt.state, settings, newTouched()),
        entry,
        this.registry.versions,
      );
    }
    const last = rebuilt.state.stream.fold.last;
    if (last !== null) rows.retract(await this.#staleBefore(device, last.ts, rows));
    this.#sender ??= questdbSender(this.config);
    const sender = await this.#sender;
    try {
      await rows.writeTo(sender, FLUSH_ROWS);
      await sender.flush();
    } catch (err) {
      sender.reset();
      throw err;
    }
    // The recalculation is cleared by the checkpoint that saves this state, after its rows are durable.
    slot.state = rebuilt.state;
    slot.held = rebuilt.state.stream.reorder.buffer.map((r) => ({
      ts: r.ts,
      offset: offsets.get(r) ?? slot.offset,
    }));
    slot.restoring.clear();
    slot.recalcDue = null;
    ctx.store.put(device, slot);
    recalculations.inc();
    this.logger.info(
      { device, readings: taken.length, hours: rebuilt.hours.length },
      "device recalculated after late readings",
    );
  }

  /**
   * The device's stored rows up to its rebuilt fold's last reading that the rebuild no longer produces (its zone
   * changed, an applied reading became a dropped glitch). Later rows are still the stream's to write.
   */
  async #staleBefore(device: string, until: number, rows: LedgerRows): Promise<StaleRows> {
    const devices = [device];
    const clock = zoneClock(this.registry.settingsFor(device).timezone);
    const [hours, days, anomalies] = await Promise.all([
      queryHours(this.questdb, 0, until, { devices }),
      queryDays(this.questdb, 0, dayStart(clock.localDate(until)), { devices }),
      queryAnomalies(this.questdb, 0, until + 1, { devices }),
    ]);
    return {
      hours: hours.filter((h) => h.confidence !== null),
      days: days.filter((d) => (d.hours ?? 0) > 0 || (d.resets ?? 0) > 0),
      anomalies: anomalies.filter((a) => !rows.anomalies.has(`${device}|${a.ts}|${a.type}`)),
    };
  }
}

/** The highest input offset the partition's devices have taken in: what the job reads up to. */
function maxOffset(ctx: PartitionContext<LedgerSlot>): bigint {
  let max = -1n;
  for (const [, slot] of ctx.store.entries()) if (slot.offset > max) max = slot.offset;
  return max;
}

function decode(
  store: ReturnType<typeof schemaStore>,
  value: Buffer,
  maxFutureMs: number,
): TelemetryReading | undefined {
  try {
    const decoded = store.decode(value);
    if (decoded.name !== "TelemetryReading") return undefined;
    const record = decoded.record as TelemetryReading;
    return tsOutOfRange(record.ts, record.received_at, maxFutureMs) === undefined ? record : undefined;
  } catch {
    return undefined;
  }
}
