// The ledger stream processor: telemetry from Kafka through the pure core into QuestDB. Per Kafka batch: fold,
// write the rows (one WAL transaction), save the touched devices' state to the changelog, then commit the offsets.
// A crash anywhere in between repeats work whose writes are idempotent, and never skips any.
import type { Kafka, KafkaMessage, Producer } from "kafkajs";
import type pg from "pg";
import type { Config } from "../../deploy/config.ts";
import type { Logger } from "../../deploy/logger.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { TelemetryReading } from "../../schemas/generated/types.ts";
import {
  ledgerIngest,
  ledgerProvisional,
  ledgerRebuild,
  newLedgerState,
  newTouched,
  type Touched,
  takeRows,
} from "../core/ledger-stream.ts";
import { zoneClock } from "../core/hours.ts";
import type { Reading } from "../core/reading.ts";
import { createKafka } from "../runtime/kafka.ts";
import { postgresPool } from "../runtime/postgres.ts";
import { questdbPool, questdbSender, type Sender } from "../runtime/questdb.ts";
import { readTopic } from "../runtime/read-topic.ts";
import { ensureTopics, TOPICS } from "../runtime/topics.ts";
import { type DeviceSlot, LEDGER_CHANGELOG, restorePartitions, saveSlots } from "./changelog.ts";
import { batchSeconds, duplicatesDropped, lateReadings, readingsFolded, recalculations } from "./metrics.ts";
import { writeDeviceMirror } from "./mirror.ts";
import { toReading } from "./readings.ts";
import { RegistryCache } from "./registry-cache.ts";
import { dayStart, queryAnomalies, queryDays, queryHours } from "./energy-rows.ts";
import { LedgerRows, type StaleRows } from "./sink.ts";
import { type Refusal, refusedMessage, refuseReading } from "./validate.ts";

export interface LedgerProcessor {
  stop(): Promise<void>;
}

interface Partition {
  devices: Map<string, DeviceSlot>;
  /** When each device last took in a reading (processing time), for the silent-device flush. */
  seen: Map<string, number>;
  /** Devices with late readings, and when their recalculation may run. */
  recalcAt: Map<string, number>;
  /** Last telemetry offset of this partition taken in. */
  offset: bigint;
}

export async function startLedgerProcessor(config: Config, logger: Logger): Promise<LedgerProcessor> {
  const kafka = createKafka(config, "wattline-ledger");
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config, [LEDGER_CHANGELOG]);
  await admin.disconnect();
  const questdb = questdbPool(config, 2);
  const { ensureLedgerTables } = await import("./tables.ts");
  await ensureLedgerTables(questdb);
  const pool = postgresPool(config, 4);
  const registry = new RegistryCache(pool, logger);
  const mirror = new Set<string>();
  registry.onChange = (ids) => {
    for (const id of ids) mirror.add(id);
  };
  await registry.load();
  await registry.follow(config.postgres.url);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const ledger = new Ledger(config, logger, kafka, registry, producer, mirror, questdb);

  const consumer = kafka.consumer({ groupId: config.ledger.groupId, maxBytes: 8 * 1024 * 1024 });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    ledger.assign(e.payload.memberAssignment[TOPICS.telemetry] ?? []);
  });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.telemetry, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    // Partitions hold disjoint devices and each has its own lock and ILP sender: while one waits on QuestDB or
    // Kafka another folds, so a batch's latency is not the sum of every partition's round trips.
    partitionsConsumedConcurrently: config.kafka.partitions,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      const end = batchSeconds.startTimer();
      const last = await ledger.exclusive(batch.partition, () =>
        ledger.takeBatch(batch.partition, batch.messages, () => isRunning() && !isStale()),
      );
      if (last !== undefined) {
        // Resolving moves this consumer's fetch position; without it the next fetch starts at the batch's first
        // offset again and every record already taken is read (and skipped) once more.
        resolveOffset(String(last));
        await consumer.commitOffsets([
          { topic: TOPICS.telemetry, partition: batch.partition, offset: String(last + 1n) },
        ]);
      }
      await heartbeat();
      end();
    },
  });
  const timer = setInterval(
    () => void ledger.tick().catch((err) => logger.error({ err }, "ledger timer")),
    1000,
  );
  logger.info({ group: config.ledger.groupId }, "ledger processor running");
  return {
    async stop() {
      clearInterval(timer);
      await consumer.disconnect();
      await ledger.idle();
      await producer.disconnect();
      await ledger.closeSenders();
      await registry.stop();
      await Promise.all([pool.end(), questdb.end()]);
    },
  };
}

class Ledger {
  readonly #partitions = new Map<number, Partition>();
  #assigned = new Set<number>();
  readonly #locks = new Map<number, Promise<unknown>>();
  #restoring: Promise<void> | undefined;
  readonly #store = schemaStore();
  /** One ILP sender per partition: a sender's buffer is one partition's rows, flushed by that partition alone. */
  readonly #senders = new Map<number, Promise<Sender>>();

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly kafka: Kafka,
    private readonly registry: RegistryCache,
    private readonly producer: Producer,
    private readonly mirror: Set<string>,
    private readonly questdb: pg.Pool,
  ) {}

  /** A new assignment: partitions taken away are forgotten, new ones restored at once (not at their first batch,
   * which may never come: their devices' held readings must still be flushed). */
  assign(partitions: number[]): void {
    this.#assigned = new Set(partitions);
    for (const p of this.#partitions.keys()) if (!this.#assigned.has(p)) this.#partitions.delete(p);
    this.#restoreAssigned().catch((err) => this.logger.error({ err }, "ledger state restore failed"));
  }

  /** Runs `work` after all earlier work on the same partition: batches, recalculations and flushes never overlap. */
  exclusive<T>(partition: number, work: () => Promise<T>): Promise<T> {
    const next = (this.#locks.get(partition) ?? Promise.resolve()).then(work, work);
    this.#locks.set(
      partition,
      next.catch(() => {}),
    );
    return next;
  }

  async idle(): Promise<void> {
    await Promise.all(this.#locks.values());
  }

  async closeSenders(): Promise<void> {
    const senders = await Promise.all(this.#senders.values());
    this.#senders.clear();
    await Promise.all(senders.map((s) => s.close()));
  }

  #sender(p: number): Promise<Sender> {
    let sender = this.#senders.get(p);
    if (sender === undefined) {
      sender = questdbSender(this.config);
      sender.catch(() => this.#senders.delete(p));
      this.#senders.set(p, sender);
    }
    return sender;
  }

  async #partition(p: number): Promise<Partition> {
    this.#assigned.add(p);
    while (!this.#partitions.has(p)) await this.#restoreAssigned();
    return this.#partitions.get(p) as Partition;
  }

  /** Restores every assigned partition not restored yet, one restore at a time. */
  async #restoreAssigned(): Promise<void> {
    while (this.#restoring) await this.#restoring;
    const wanted = [...this.#assigned].filter((x) => !this.#partitions.has(x));
    if (wanted.length === 0) return;
    this.#restoring = (async () => {
      const restored = await restorePartitions(this.kafka, wanted);
      for (const [q, devices] of restored) {
        if (!this.#assigned.has(q)) continue;
        let offset = -1n;
        for (const slot of devices.values()) if (BigInt(slot.offset) > offset) offset = BigInt(slot.offset);
        // Restored devices count as just seen, so that a suspect of one that stays silent is applied in time.
        const seen = new Map([...devices.keys()].map((d) => [d, Date.now()]));
        this.#partitions.set(q, { devices, seen, recalcAt: new Map(), offset });
      }
      const count = [...restored.values()].reduce((n, d) => n + d.size, 0);
      this.logger.info({ partitions: wanted, devices: count }, "ledger state restored");
    })().finally(() => {
      this.#restoring = undefined;
    });
    await this.#restoring;
  }

  /** Folds a batch and makes it durable; returns the last offset it covers (to commit), if any. */
  async takeBatch(p: number, messages: KafkaMessage[], running: () => boolean): Promise<bigint | undefined> {
    const part = await this.#partition(p);
    const rows = new LedgerRows();
    const touched = new Map<string, DeviceSlot>();
    const late: { key: string; value: Buffer }[] = [];
    const refused: { key: string; value: Buffer }[] = [];
    const L = this.config.ledger.allowedLatenessMs;
    let last: bigint | undefined;
    try {
      const changes = new Map<string, Touched>();
      for (const m of messages) {
        if (!running()) break;
        last = BigInt(m.offset);
        const key = m.key?.toString();
        const record =
          key && m.value
            ? this.#decode(m.value, (why) =>
                refused.push(refusedMessage(TOPICS.telemetry, key, m.value as Buffer, why)),
              )
            : undefined;
        if (!key || !record) continue;
        const slot = part.devices.get(key) ?? { state: newLedgerState(), offset: "-1" };
        if (BigInt(slot.offset) >= last) continue;
        const settings = this.registry.settingsFor(key);
        readingsFolded.inc();
        let touchedHere = changes.get(key);
        if (touchedHere === undefined) {
          touchedHere = newTouched();
          changes.set(key, touchedHere);
        }
        const outputs = ledgerIngest(slot.state, toReading(record), settings, L, touchedHere);
        // The ledger counts the first of two readings with one ts: so does the readings table.
        if (!outputs.some((o) => o.kind === "duplicate" && o.ts === record.ts)) rows.addReading(record);
        rows.addOutputs(key, outputs);
        for (const o of outputs) {
          if (o.kind === "duplicate") duplicatesDropped.inc();
          if (o.kind === "late") {
            lateReadings.inc();
            late.push({ key, value: m.value as Buffer });
            if (!part.recalcAt.has(key))
              part.recalcAt.set(key, Date.now() + this.config.ledger.recalcMinIntervalMs);
          }
        }
        slot.offset = m.offset;
        part.devices.set(key, slot);
        part.seen.set(key, Date.now());
        touched.set(key, slot);
      }
      for (const [key, t] of changes) {
        const slot = part.devices.get(key) as DeviceSlot;
        const settings = this.registry.settingsFor(key);
        rows.addStep(
          key,
          takeRows(slot.state, settings, t),
          this.registry.devices.get(key),
          this.registry.versions,
        );
      }
      await this.#durable(p, rows, touched);
      if (late.length > 0) await this.producer.send({ topic: TOPICS.late, acks: -1, messages: late });
      if (refused.length > 0)
        await this.producer.send({ topic: TOPICS.deadLetter, acks: -1, messages: refused });
      if (last !== undefined && last > part.offset) part.offset = last;
      return last;
    } catch (err) {
      // The in-memory state may be ahead of what was made durable: forget it, restore from the changelog.
      this.#partitions.delete(p);
      await this.#sender(p).then(
        (sender) => sender.reset(),
        () => {},
      );
      throw err;
    }
  }

  async #durable(p: number, rows: LedgerRows, touched: Map<string, DeviceSlot>): Promise<void> {
    const sender = await this.#sender(p);
    if (this.mirror.size > 0) {
      // Taken before the write: another partition may be here at the same time.
      const ids = [...this.mirror];
      this.mirror.clear();
      await writeDeviceMirror(sender, this.registry, ids).catch((err) => {
        for (const id of ids) this.mirror.add(id);
        throw err;
      });
    }
    if (rows.size > 0) {
      await rows.writeTo(sender);
      await sender.flush();
    }
    await saveSlots(this.producer, p, touched);
  }

  /** A reading with an implausible ts (validate.ts) is never folded nor rebuilt; `refused` hears why. */
  #decode(value: Buffer, refused?: (refusal: Refusal) => void): TelemetryReading | undefined {
    let record: TelemetryReading;
    try {
      const decoded = this.#store.decode(value);
      if (decoded.name !== "TelemetryReading") return undefined;
      record = decoded.record as TelemetryReading;
    } catch {
      return undefined;
    }
    const refusal = refuseReading(record, this.config.ingest.maxFutureMs);
    if (refusal === undefined) return record;
    refused?.(refusal);
    return undefined;
  }

  /** Once a second: due recalculations, and suspects of devices silent for longer than the flush wait. */
  async tick(): Promise<void> {
    const now = Date.now();
    for (const [p, part] of this.#partitions) {
      const due = [...part.recalcAt].filter(([, at]) => at <= now).map(([d]) => d);
      const silent = [...part.seen]
        .filter(([, at]) => now - at > this.config.ledger.silentFlushMs)
        .map(([d]) => d);
      if (due.length === 0 && silent.length === 0) continue;
      await this.exclusive(p, async () => {
        for (const device of due) await this.#recalculate(p, part, device);
        await this.#flushSilent(p, part, silent);
      });
    }
  }

  /** Rebuilds a device from everything its partition holds up to what this processor took in, as the batch would. */
  async #recalculate(p: number, part: Partition, device: string): Promise<void> {
    part.recalcAt.delete(device);
    const readings: Reading[] = [];
    await readTopic(this.kafka, TOPICS.telemetry, {
      partitions: [p],
      until: new Map([[p, part.offset]]),
      onBatch: (_partition, messages) => {
        for (const m of messages) {
          if (m.key?.toString() !== device || !m.value) continue;
          const record = this.#decode(m.value);
          if (record) readings.push(toReading(record));
        }
      },
    });
    const rebuilt = ledgerRebuild(
      readings,
      this.registry.settingsFor(device),
      this.config.ledger.allowedLatenessMs,
    );
    const rows = new LedgerRows();
    rows.addStep(device, rebuilt, this.registry.devices.get(device), this.registry.versions);
    const last = rebuilt.state.stream.fold.last;
    if (last !== null) rows.retract(await this.#staleBefore(device, last.ts, rows));
    const slot = { state: rebuilt.state, offset: String(part.offset) };
    part.devices.set(device, slot);
    await this.#durable(p, rows, new Map([[device, slot]]));
    recalculations.inc();
    this.logger.info(
      { device, readings: readings.length, hours: rebuilt.hours.length },
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

  /** Devices silent past the flush wait get their suspect written provisionally; their state keeps it pending. */
  async #flushSilent(p: number, part: Partition, devices: string[]): Promise<void> {
    const rows = new LedgerRows();
    const touched = new Map<string, DeviceSlot>();
    for (const device of devices) {
      part.seen.delete(device);
      const slot = part.devices.get(device);
      if (!slot) continue;
      const settings = this.registry.settingsFor(device);
      const written = ledgerProvisional(slot.state, settings, newTouched());
      if (written.outputs.length === 0) continue;
      rows.addStep(device, written, this.registry.devices.get(device), this.registry.versions);
      touched.set(device, slot);
    }
    if (touched.size > 0) await this.#durable(p, rows, touched);
  }
}
