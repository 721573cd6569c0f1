// The ledger stream processor: telemetry from Kafka through the pure core into QuestDB, on the processor runtime.
// Per batch it folds each device's readings and updates its open hours in place; the hours a device's readings
// touched are written at most every WATTLINE_ROLLUP_WRITE_MS (below). The runtime checkpoints the
// devices' states (Avro, slot.ts), the late readings and the input offsets in one Kafka transaction every
// WATTLINE_CHECKPOINT_MS; a state that only its readings moved is written once the change is WATTLINE_STATE_WRITE_MS
// old (a restart reads them again), which spares a chatty fleet a changelog record per device and checkpoint. The
// changed rows are written with each checkpoint, in one ILP request with those of the other
// partitions checkpointed at about the same time. Readings the reorder buffer holds are not checkpointed: no offset
// past them is committed, and a restore reads them again.
// A crash anywhere repeats work whose writes are idempotent, and never skips any.
import type { Config } from "../../ground/config.ts";
import { IlpSender } from "../../ground/ilp.ts";
import type { Logger } from "../../ground/logger.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { questdbPool, type RowSender } from "../../ground/questdb.ts";
import { TOPICS } from "../../ground/topics.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { ensureLedgerTables } from "../../schemas/questdb/ledger.ts";
import { ledgerIngest, ledgerProvisional, type Touched, takeRows } from "../core/ledger-stream.ts";
import { heldInputs, heldOf } from "../core/reorder.ts";
import { comesBefore, type DeviceInput } from "../core/replacement.ts";
import { TS_OUT_OF_RANGE, tsOutOfRange } from "../core/ts-range.ts";
import { BATCHING_FETCH } from "../runtime/batching-fetch.ts";
import { groupCommit } from "../runtime/group-commit.ts";
import type { PartitionContext, Processor } from "../runtime/processor.ts";
import { startRuntime } from "../runtime/runtime.ts";
import { type Stalls, StallWatch } from "../runtime/stall-watch.ts";
import { duplicatesDropped, lateReadings, readingsFolded } from "./metrics.ts";
import { writeDeviceMirror } from "./mirror.ts";
import { TELEMETRY_RECORDS, type TelemetryInput, toInput } from "./readings.ts";
import { Recalculator } from "./recalculate.ts";
import { RegistryCache } from "./registry-cache.ts";
import { LedgerRows } from "./sink.ts";
import {
  decodeSlot,
  encodeSlot,
  type LedgerSlot,
  lowestHeld,
  newSlot,
  recalculateAll,
  settingsKey,
  takeSnapshot,
} from "./slot.ts";

/** Rows per ILP request: a recalculation after a zone change rewrites a device's whole history. */
const FLUSH_ROWS = 20_000;

export interface LedgerProcessor {
  /** Rejects when this instance must not go on (the runtime's `failed`): the process should exit. */
  failed: Promise<never>;
  stop(): Promise<void>;
}

/** What the processor keeps per partition beyond its store: not state, only bookkeeping of this process. */
interface PartitionMemory {
  /** Rows since the last checkpoint, written by it. */
  rows: LedgerRows;
  /** When each device last took in a reading (processing time), for the silent-device flush. */
  seen: Map<string, number>;
  /** Devices with hours whose rows are not written (`LedgerSlot.unwritten`), oldest first: since when. */
  unwritten: Map<string, number>;
}

export interface LedgerDeps {
  config: Config;
  logger: Logger;
  registry: Pick<RegistryCache, "settingsFor" | "devices" | "versions">;
  recalculator: Pick<Recalculator, "request" | "tap" | "forget">;
  /** The ILP sender every partition's rows go through (a test passes one that records). */
  sender: RowSender;
  /** The least time between two writes of rows (see `writeRows`); 0 writes as soon as the last one ends. */
  writeGroupMs: number;
  /** How long the process may have stood still after a checkpoint's ownership check for its rows to be written. */
  writeWithinMs: number;
  /** How long the process stood still (see `writeRows`). */
  stalls: Stalls;
  /** Devices whose registry entry changed: mirrored into QuestDB's `devices` by the next batch of any partition. */
  mirror: Set<string>;
}

export async function startLedgerProcessor(config: Config, logger: Logger): Promise<LedgerProcessor> {
  const questdb = questdbPool(config, 2);
  await ensureLedgerTables(questdb);
  const pool = postgresPool(config, 4);
  const registry = new RegistryCache(pool, logger);
  const mirror = new Set<string>();
  registry.onChange = (ids) => {
    for (const id of ids) mirror.add(id);
  };
  await registry.load();
  await registry.follow(config.postgres.url);
  const recalculator = new Recalculator(config, logger, registry, questdb);
  const sender = await IlpSender.open(config);
  const stalls = new StallWatch();
  const processor = ledgerProcessor({
    config,
    logger,
    registry,
    recalculator,
    mirror,
    sender,
    writeGroupMs: config.runtime.checkpointMs / 2,
    writeWithinMs: config.runtime.sessionTimeoutMs / 2,
    stalls,
  });
  const runtime = await startRuntime(config, logger, processor, {
    groupId: config.ledger.groupId,
    consumer: { maxBytes: 8 * 1024 * 1024, ...BATCHING_FETCH },
  });
  logger.info({ group: config.ledger.groupId }, "ledger processor running");
  return {
    failed: runtime.failed,
    async stop() {
      await runtime.stop();
      stalls.stop();
      await recalculator.stop();
      await sender.close();
      await registry.stop();
      await Promise.all([pool.end(), questdb.end()]);
    },
  };
}

export function ledgerProcessor(deps: LedgerDeps): Processor<(typeof TELEMETRY_RECORDS)[number], LedgerSlot> {
  const { config, registry, recalculator, mirror } = deps;
  const memory = new Map<number, PartitionMemory>();
  const L = config.ledger.allowedLatenessMs;
  const store = schemaStore();
  const mem = (ctx: PartitionContext<LedgerSlot>) => memory.get(ctx.partition) as PartitionMemory;

  /**
   * Keeps a batch's rows for the partition's next checkpoint. They are written there (flush) only once the
   * checkpoint's transaction showed that this instance still owns the partition: a paused instance that lost it
   * cannot overwrite the new owner's rows with stale ones.
   */
  function write(ctx: PartitionContext<LedgerSlot>, rows: LedgerRows): void {
    if (rows.size === 0) return;
    mem(ctx).rows.merge(rows);
  }

  /**
   * Writes the rows of the partitions' checkpoints that fall due together, and the mirror rows due (they are the
   * registry's, not a partition's), in one ILP request: QuestDB's cost is mostly per WAL transaction, one per table
   * and request (bench/e2e, 1,000 devices at 8,000 readings/s on 6 partitions, QuestDB's cores: 0.56–0.60 with a
   * request per partition and checkpoint, 0.25–0.32 with at most two a second). A group starts at most every
   * `writeGroupMs` (half a checkpoint interval: a new owner's first write comes a checkpoint interval after it took
   * the partition, so a write that waited for its group still lands before it). A failure fails the checkpoint of
   * every partition in the group.
   *
   * A checkpoint's rows are written after its transaction showed that this instance owned the partition. An
   * instance paused between that check and the write (GC, SIGSTOP) for longer than the session timeout has lost the
   * partition meanwhile, and its rows are stale: a write after the process stood still for more than
   * `writeWithinMs` since a check is refused, which fails the checkpoints, as fencing would have. Time spent
   * waiting for QuestDB does not count: an instance that waits keeps heartbeating and keeps its partitions (an
   * overloaded QuestDB once made writes wait past such a limit, and the instance stopped, under load).
   */
  const writeRows = groupCommit<{ rows: LedgerRows; checkedAt: number }>(
    async (group) => {
      const { sender } = deps;
      try {
        if (mirror.size > 0) {
          const ids = [...mirror];
          mirror.clear();
          await writeDeviceMirror(sender, registry, ids).catch((err) => {
            for (const id of ids) mirror.add(id);
            throw err;
          });
        }
        for (const { rows } of group) await rows.writeTo(sender, FLUSH_ROWS);
        const stood = deps.stalls.longestSince(Math.min(...group.map((g) => g.checkedAt)));
        if (stood > deps.writeWithinMs)
          throw new Error(
            `rows not written: the process stood still for ${Math.round(stood)} ms after it last showed it owned their partitions (more than ${deps.writeWithinMs} ms: paused past the session timeout?), another instance may own them now`,
          );
        await sender.flush();
      } catch (err) {
        sender.reset();
        throw err;
      }
    },
    { windowMs: deps.writeGroupMs },
  );

  /**
   * The hourly and daily rows of the devices whose oldest unwritten hour was touched `rollupWriteMs` ago or more
   * (every device's at the partition's final checkpoint). A device reporting every second would otherwise have its
   * hour and day rows written at every checkpoint, as many rows as readings (bench/e2e, 10,000 devices); readers of
   * `energy_hourly` and `energy_daily` see its figures at most that much later. Its state is not marked changed:
   * the state saved still names these hours, which only makes a restart write them again.
   */
  function takeRollups(ctx: PartitionContext<LedgerSlot>, now: number, all: boolean): void {
    const m = mem(ctx);
    for (const [key, since] of m.unwritten) {
      if (!all && now - since < config.ledger.rollupWriteMs) break;
      m.unwritten.delete(key);
      const slot = ctx.store.get(key);
      if (slot !== undefined) writeRollups(slot, m.rows);
    }
  }

  function writeRollups(slot: LedgerSlot, rows: LedgerRows): void {
    if (slot.unwritten.size === 0) return;
    const key = slot.device_id;
    const touched = { hours: slot.unwritten, retracted: [] };
    rows.addStep(
      key,
      takeRows(slot.state, registry.settingsFor(key), touched),
      registry.devices.get(key),
      registry.versions,
    );
    slot.unwritten = new Set();
  }

  /** The checkpoint's write: the partition's rows since the last one, taken now. */
  function checkpointWrite(ctx: PartitionContext<LedgerSlot>, final: boolean): () => Promise<void> {
    const m = mem(ctx);
    takeRollups(ctx, ctx.now(), final);
    const rows = m.rows;
    m.rows = new LedgerRows();
    return () =>
      rows.size === 0 && mirror.size === 0
        ? Promise.resolve()
        : writeRows([{ rows, checkedAt: performance.now() }]);
  }

  return {
    name: "ledger",
    // Readings and meter replacements share the topic, so that a device's events keep their place among its readings.
    topics: { [TOPICS.telemetry]: TELEMETRY_RECORDS },
    state: { encode: encodeSlot, decode: (bytes, key) => decodeSlot(key ?? "", bytes) },
    refuse: (r) => {
      const details = tsOutOfRange(r.record.ts, r.record.received_at, config.ingest.maxFutureMs);
      return details === undefined ? undefined : { reason: TS_OUT_OF_RANGE, details };
    },

    async init(ctx) {
      const now = ctx.now();
      // Restored devices count as just seen, so that a suspect of one that stays silent is written in time.
      const m: PartitionMemory = { rows: new LedgerRows(), seen: new Map(), unwritten: new Map() };
      memory.set(ctx.partition, m);
      for (const [key, slot] of ctx.store.entries()) {
        m.seen.set(key, now);
        if (slot.unwritten.size > 0) m.unwritten.set(key, now);
      }
    },

    async close(ctx) {
      memory.delete(ctx.partition);
      recalculator.forget(ctx.partition);
    },

    held(ctx) {
      let low: bigint | undefined;
      for (const [, slot] of ctx.store.entries()) {
        const h = lowestHeld(slot);
        if (h !== undefined && (low === undefined || h < low)) low = h;
      }
      return low;
    },

    process(ctx, records) {
      // Straight into the partition's rows for its next checkpoint: a batch's rows are many, a merge copies them.
      const m = mem(ctx);
      const { rows } = m;
      const changed = new Map<string, { slot: LedgerSlot; touched: Touched; late: boolean }>();
      const now = ctx.now();
      let folded = 0;
      let dueNow = false;
      for (const input of records) {
        const key = input.record.device_id;
        const slot = slotOf(ctx, key);
        const record = input.record;
        if (input.offset <= slot.offset) {
          // Read again after a restore: a held reading goes back into the buffer, the rest is in the state.
          if (slot.restoring.delete(input.offset))
            hold(slot, toInput(input as TelemetryInput, slot.device_id), input.offset);
          continue;
        }
        let entry = changed.get(key);
        if (entry === undefined) {
          // The hours the batch touches join those not written yet.
          entry = { slot, touched: { hours: slot.unwritten, retracted: [] }, late: false };
          changed.set(key, entry);
        }
        folded++;
        const reading = toInput(input as TelemetryInput, slot.device_id);
        recalculator.tap(ctx.partition, key, reading, input.offset);
        const settings = registry.settingsFor(key);
        slot.zone ??= settings.timezone;
        slot.settings ??= settingsKey(settings);
        const outputs = ledgerIngest(slot.state, reading, settings, L, entry.touched);
        slot.offset = input.offset;
        let arrival: "held" | "duplicate" | "late" = "held";
        for (const o of outputs) {
          if (o.kind === "duplicate" && o.ts === record.ts) arrival = "duplicate";
          if (o.kind === "late" && o.input.ts === record.ts) arrival = "late";
        }
        if (arrival === "held") slot.held.add(record.ts, input.offset);
        releaseHeld(slot);
        // The ledger counts the first of two readings (or replacements) with one ts: so do their tables.
        if (arrival === "duplicate") duplicatesDropped.inc();
        else if (input.name === "MeterReplacement") rows.addReplacement(input.record);
        else rows.addReading(input.record);
        rows.addOutputs(key, outputs);
        if (arrival === "late") {
          lateReadings.inc();
          entry.late = true;
          ctx.send(TOPICS.late, key, store.encode(input.name, record));
          slot.recalcDue ??= now + config.ledger.recalcMinIntervalMs;
          slot.recalcFrom = Math.min(slot.recalcFrom ?? record.ts, record.ts);
          if (slot.recalcDue <= now) dueNow = true;
        }
        // Per input, not per batch: a batch read after a pause can span days of event time.
        takeSnapshot(slot, config.ledger.recalcSnapshotMs);
        m.seen.set(key, now);
      }
      const { unwritten } = m;
      for (const [key, { slot, touched, late }] of changed) {
        if (touched.retracted.length > 0)
          rows.addStep(key, { ...NO_ROLLUPS, retracted: touched.retracted }, undefined, registry.versions);
        if (slot.unwritten.size > 0 && !unwritten.has(key)) unwritten.set(key, now);
        // Reading the input again re-derives the state, but not a late reading's record, which has gone out:
        // the state that sent it (and its pending recalculation) is written with it.
        if (late) ctx.store.put(key, slot);
        else ctx.store.putLazy(key, slot);
      }
      readingsFolded.inc(folded);
      // With no wait (WATTLINE_RECALC_MIN_INTERVAL_MS=0), not until the next tick: up to a second more otherwise.
      if (dueNow) requestDue(ctx, now);
    },

    flush: (ctx, final) => checkpointWrite(ctx, final),

    punctuators: [
      {
        intervalMs: 1000,
        punctuate(ctx, now) {
          flushSilent(ctx, now);
          noteSettingsChanges(ctx, now);
          requestDue(ctx, now);
        },
      },
    ],
  };

  /** Starts a recalculation of the partition's devices due at `now`, unless one runs there already. */
  function requestDue(ctx: PartitionContext<LedgerSlot>, now: number): void {
    const due = [...ctx.store.entries()].filter(([, s]) => s.recalcDue !== null && s.recalcDue <= now);
    // A recalculation's rows go out with the partition's next checkpoint, fenced like the rest.
    if (due.length > 0)
      recalculator.request(
        ctx,
        due.map(([key]) => key),
        (rows) => write(ctx, rows),
      );
  }

  function slotOf(ctx: PartitionContext<LedgerSlot>, key: string): LedgerSlot {
    let slot = ctx.store.get(key);
    if (slot === undefined) {
      slot = newSlot(key);
      ctx.store.putLazy(key, slot);
    }
    return slot;
  }

  /**
   * A device whose registry settings (zone, noise, max power…) are no longer those its state was folded with has its
   * whole history recalculated, as the batch computes it with the new ones. Saved with its state: an edit made
   * while no instance ran is found at the first tick after the restore.
   */
  function noteSettingsChanges(ctx: PartitionContext<LedgerSlot>, now: number): void {
    for (const [key, slot] of ctx.store.entries()) {
      if (slot.settings === null || slot.recalcFrom === 0) continue;
      if (slot.settings === settingsKey(registry.settingsFor(key))) continue;
      recalculateAll(slot, now + config.ledger.recalcMinIntervalMs);
      ctx.store.put(key, slot);
    }
  }

  /** Devices silent past the flush wait get their suspect written provisionally; their state keeps it pending. */
  function flushSilent(ctx: PartitionContext<LedgerSlot>, now: number): void {
    const rows = new LedgerRows();
    const { seen } = mem(ctx);
    for (const [key, at] of seen) {
      if (now - at <= config.ledger.silentFlushMs) continue;
      seen.delete(key);
      const slot = ctx.store.get(key);
      if (slot === undefined) continue;
      // The hours not written yet are written with the provisional ones, which may add to them.
      const written = ledgerProvisional(slot.state, registry.settingsFor(key), {
        hours: slot.unwritten,
        retracted: [],
      });
      slot.unwritten = new Set();
      mem(ctx).unwritten.delete(key);
      releaseHeld(slot);
      if (written.outputs.length === 0 && written.hours.length === 0) continue;
      rows.addStep(key, written, registry.devices.get(key), registry.versions);
      ctx.store.put(key, slot);
    }
    write(ctx, rows);
  }
}

const NO_ROLLUPS = { outputs: [], hours: [], days: [], dayHours: [] };

/** Forgets the offsets of readings the buffer has released (every ts up to `released`). */
function releaseHeld(slot: LedgerSlot): void {
  const released = slot.state.stream.reorder.released;
  if (released !== null) slot.held.releaseThrough(released);
}

/** A held input read again after a restore goes back into the buffer, where the checkpoint had it. */
function hold(slot: LedgerSlot, r: DeviceInput, offset: bigint): void {
  const { reorder } = slot.state.stream;
  const inputs = heldInputs(reorder.buffer);
  let i = inputs.length;
  while (i > 0 && comesBefore(r, inputs[i - 1] as DeviceInput)) i--;
  inputs.splice(i, 0, r);
  slot.state.stream = { ...slot.state.stream, reorder: { ...reorder, buffer: heldOf(inputs) } };
  slot.held.add(r.ts, offset);
}
