// Automatic recalculation of devices that received readings (or meter replacements) later than the allowed
// lateness: each is rebuilt from its inputs on Kafka in the device's order, as the batch would, and its rows
// rewritten. A device with a snapshot older than its late inputs (slot.ts) is rebuilt from it, with the inputs
// after it, so when every due device of a partition has one the partition is read from the lowest of their offsets
// instead of from its start: the cost follows the lateness, not the history. Off the hot path: the
// partition is read by a throwaway consumer while the processor goes on; readings of the devices taken in
// meanwhile are tapped from the live path; only the swap of state and the rewrite run under the partition's lock.
// One job at a time in the process (a global rate limit), one pass over a partition for all its due devices.
import type pg from "pg";
import type { Config } from "../../ground/config.ts";
import { createKafka, type Kafka } from "../../ground/kafka.ts";
import type { Logger } from "../../ground/logger.ts";
import { TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { initialDeviceState } from "../core/device-state.ts";
import { zoneClock } from "../core/hours.ts";
import { ledgerProvisional, ledgerRebuild, newTouched, takeRows } from "../core/ledger-stream.ts";
import { processInput } from "../core/process.ts";
import { heldInputs } from "../core/reorder.ts";
import { type DeviceInput, orderInputs } from "../core/replacement.ts";
import type { DeviceSettings } from "../core/settings.ts";
import type { PartitionContext } from "../runtime/processor.ts";
import { readTopic } from "../runtime/read-topic.ts";
import { serial } from "../runtime/serial.ts";
import { DAY_MS, dayStart, queryAnomalies, queryDays, queryHours } from "./energy-rows.ts";
import { HeldOffsets } from "./held-offsets.ts";
import { recalculations } from "./metrics.ts";
import { decodeTelemetry, toInput } from "./readings.ts";
import type { RegistryCache } from "./registry-cache.ts";
import { LedgerRows, type StaleRows } from "./sink.ts";
import { inputsAfter, type LedgerSlot, type Snapshot, settingsKey, snapshotBefore } from "./slot.ts";

interface Job {
  devices: Set<string>;
  /** The snapshot each device is rebuilt from; none: from its first input. */
  starts: Map<string, Snapshot | undefined>;
  /** Readings of the job's devices taken in by the live path since the job's read started, in offset order. */
  tapped: Map<string, { reading: DeviceInput; offset: bigint }[]>;
}

export class Recalculator {
  readonly #kafka: Kafka;
  readonly #jobs = new Map<number, Job>();
  readonly #oneAtATime = serial();
  readonly #running = new Set<Promise<void>>();

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly registry: RegistryCache,
    private readonly questdb: pg.Pool,
  ) {
    this.#kafka = createKafka(config, `${config.kafka.clientId}-recalculate`);
  }

  /**
   * Starts a job for the partition's due devices, unless one is under way there. Its rows go to `emit`, under the
   * partition's lock, with the devices' new states: the partition's next checkpoint makes both durable together.
   */
  request(ctx: PartitionContext<LedgerSlot>, devices: string[], emit: (rows: LedgerRows) => void): void {
    if (this.#jobs.has(ctx.partition)) return;
    const starts = new Map(devices.map((d) => [d, this.#startOf(ctx.store.get(d))]));
    const job: Job = { devices: new Set(devices), starts, tapped: new Map(devices.map((d) => [d, []])) };
    this.#jobs.set(ctx.partition, job);
    const until = maxOffset(ctx);
    const run = this.#oneAtATime(() => this.#run(ctx, job, until, emit))
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

  /** The newest snapshot older than every late input of the device, in its zone now; none after a zone change. */
  #startOf(slot: LedgerSlot | undefined): Snapshot | undefined {
    if (slot?.recalcFrom == null) return undefined;
    const zone = this.registry.settingsFor(slot.device_id).timezone;
    if (slot.zone !== zone) return undefined;
    const snapshot = snapshotBefore(slot, slot.recalcFrom, zone);
    return snapshot?.state.stream.fold.last ? snapshot : undefined;
  }

  /** Called by the live path for every reading it takes in: a device being recalculated keeps it for the job. */
  tap(partition: number, device: string, reading: DeviceInput, offset: bigint): void {
    this.#jobs.get(partition)?.tapped.get(device)?.push({ reading, offset });
  }

  /** The partition was released: its job's result would belong to another owner. */
  forget(partition: number): void {
    this.#jobs.delete(partition);
  }

  async stop(): Promise<void> {
    this.#jobs.clear();
    await Promise.allSettled([...this.#running]);
  }

  async #run(
    ctx: PartitionContext<LedgerSlot>,
    job: Job,
    until: bigint,
    emit: (rows: LedgerRows) => void,
  ): Promise<void> {
    const p = ctx.partition;
    const read = new Map<string, { reading: DeviceInput; offset: bigint }[]>(
      [...job.devices].map((d) => [d, []]),
    );
    const store = schemaStore();
    const starts = [...job.starts.values()];
    const from = starts.every((s) => s !== undefined)
      ? starts.reduce((low, s) => (s.from < low ? s.from : low), until + 1n)
      : 0n;
    if (until >= from)
      await readTopic(this.#kafka, TOPICS.telemetry, {
        partitions: [p],
        from: new Map([[p, from]]),
        until: new Map([[p, until]]),
        onBatch: (_partition, messages) => {
          for (const m of messages) {
            const list = read.get(m.key?.toString() ?? "");
            if (list === undefined || !m.value) continue;
            const input = decodeTelemetry(store, m.value, this.config.ingest.maxFutureMs);
            if (input) list.push({ reading: toInput(input), offset: BigInt(m.offset) });
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
        emit(await this.#apply(ctx, device, all, job.starts.get(device)));
      }
      ctx.requestCheckpoint();
    });
    if (!applied) this.logger.info({ partition: p }, "recalculation dropped: the partition moved");
  }

  /** Rebuilds one device under the partition's lock: its new state in the store, its rows returned. */
  async #apply(
    ctx: PartitionContext<LedgerSlot>,
    device: string,
    read: { reading: DeviceInput; offset: bigint }[],
    start: Snapshot | undefined,
  ): Promise<LedgerRows> {
    const rows = new LedgerRows();
    const slot = ctx.store.get(device);
    if (slot === undefined) return rows;
    if (start !== undefined && (slot.recalcFrom ?? Number.NEGATIVE_INFINITY) <= start.horizon) {
      // Inputs older than the snapshot came late meanwhile: left due, for a job that reads far enough back.
      this.logger.info({ device }, "recalculation postponed: later late inputs predate its snapshot");
      return rows;
    }
    const settings = this.registry.settingsFor(device);
    const taken =
      start === undefined
        ? read
        : inputsAfter(
            start,
            read.map((r) => ({ ...r, input: r.reading })),
          );
    const offsets = new Map(taken.map((t) => [t.reading, t.offset]));
    const rebuilt = ledgerRebuild(
      taken.map((t) => t.reading),
      settings,
      this.config.ledger.allowedLatenessMs,
      start?.state,
    );
    const range = { from: rewriteFrom(slot, settings, taken, start), to: Number.POSITIVE_INFINITY };
    const entry = this.registry.devices.get(device);
    // The live state's hours not written yet (the processor's rollup writes) that the rewrite leaves alone are the
    // same in the rebuilt state: written from the live one, before the rebuild's rows, which replace its days.
    const before = [...slot.unwritten].filter((h) => h < range.from);
    if (before.length > 0) {
      const touched = { hours: new Set(before), retracted: [] };
      rows.addStep(device, takeRows(slot.state, settings, touched), entry, this.registry.versions);
    }
    slot.unwritten = new Set();
    rows.addStep(device, rebuilt, entry, this.registry.versions, range);
    if (slot.held.length === 0 && slot.restoring.size === 0) {
      // The live state had released all it held (a silent device's wait): so does the rebuilt one, as then.
      rows.addStep(
        device,
        ledgerProvisional(rebuilt.state, settings, newTouched()),
        entry,
        this.registry.versions,
        range,
      );
    }
    const last = rebuilt.state.stream.fold.last;
    if (last !== null) rows.retract(await this.#stale(device, range.from, last.ts, rows));
    // Rows and state go out together with the partition's next checkpoint (rows first, inside its transaction):
    // the pending recalculation is cleared only by the checkpoint that makes its result durable.
    slot.state = rebuilt.state;
    slot.held = HeldOffsets.of(
      heldInputs(rebuilt.state.stream.reorder.buffer).map((r) => ({
        ts: r.ts,
        offset: offsets.get(r) ?? slot.offset,
      })),
    );
    slot.restoring.clear();
    // A snapshot newer than a late input the rebuild took in is not the batch's any more.
    const late = slot.recalcFrom;
    if (late !== null) slot.snapshots = slot.snapshots.filter((s) => s.horizon < late);
    slot.recalcDue = null;
    slot.recalcFrom = null;
    slot.zone = settings.timezone;
    slot.settings = settingsKey(settings);
    ctx.store.put(device, slot);
    recalculations.inc();
    this.logger.info(
      {
        device,
        readings: taken.length,
        snapshot: start === undefined ? null : new Date(start.horizon).toISOString(),
        hours: rebuilt.hours.length,
        from: Number.isFinite(range.from) ? new Date(range.from).toISOString() : null,
        rows: rows.size,
      },
      "device recalculated after late readings",
    );
    return rows;
  }

  /**
   * The device's stored rows in [from, its rebuilt fold's last reading] that the rebuild no longer produces (its
   * zone changed, an applied reading became a dropped glitch). Later rows are still the stream's to write.
   */
  async #stale(device: string, from: number, until: number, rows: LedgerRows): Promise<StaleRows> {
    const devices = [device];
    const clock = zoneClock(this.registry.settingsFor(device).timezone);
    const start = Number.isFinite(from) ? from : 0;
    const [hours, days, anomalies] = await Promise.all([
      queryHours(this.questdb, start, until, { devices }),
      queryDays(this.questdb, start === 0 ? 0 : start - DAY_MS + 1, dayStart(clock.localDate(until)), {
        devices,
      }),
      queryAnomalies(this.questdb, start, until + 1, { devices }),
    ]);
    // The days read start a day early (a label is a date's UTC midnight); dates before `from`'s are unchanged, and a
    // rebuild from a snapshot does not produce them.
    const first = start === 0 ? "" : clock.localDate(start);
    return {
      hours: hours.filter((h) => h.confidence !== null),
      days: days.filter(
        (d) => d.date >= first && ((d.hours ?? 0) > 0 || (d.resets ?? 0) > 0 || (d.replacements ?? 0) > 0),
      ),
      anomalies: anomalies.filter((a) => !rows.anomalies.has(`${device}|${a.ts}|${a.type}`)),
    };
  }
}

/**
 * Where the rewrite starts: rows before it are the same with or without the late readings. Every interval the
 * late readings change starts at or after the last reading the fold accepted before the earliest of them (a
 * suspect pending there is decided by what follows), so its hour bucket is the first that can change. The whole
 * history when the device's zone changed since its hours were counted.
 */
function rewriteFrom(
  slot: LedgerSlot,
  settings: DeviceSettings,
  taken: { reading: DeviceInput }[],
  start: Snapshot | undefined,
): number {
  const whole = Number.NEGATIVE_INFINITY;
  if (slot.recalcFrom === null || (slot.zone !== null && slot.zone !== settings.timezone)) return whole;
  const before = taken.map((t) => t.reading).filter((r) => r.ts < (slot.recalcFrom as number));
  let fold = start?.state.stream.fold ?? initialDeviceState;
  for (const r of orderInputs(before)) fold = processInput(fold, r, settings).state;
  return fold.last === null ? whole : zoneClock(settings.timezone).bucketOf(fold.last.ts).start;
}

/** The highest input offset the partition's devices have taken in: what the job reads up to. */
function maxOffset(ctx: PartitionContext<LedgerSlot>): bigint {
  let max = -1n;
  for (const [, slot] of ctx.store.entries()) if (slot.offset > max) max = slot.offset;
  return max;
}
