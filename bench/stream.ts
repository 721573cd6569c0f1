// bench/stream: readings per second from Kafka into QuestDB through the ledger processor (decode, fold, rollups,
// changelog, commit), against a bare pipe in the same run: consume the same records and write each as one ILP row,
// flushing per batch. Both drain the same pre-filled topic. Each also reports the CPU time it took per reading: both
// run in this process, one after the other, so process.cpuUsage() over each measured part (every thread: GC, I/O)
// is that pipe's own. The ledger's measure includes its start (registry, restore, joining the group) and its final
// checkpoint, about 1.4 s here: a million readings by default, as 200,000 (4 s) made those a third of it (0.66–0.71
// against 0.95 with a million, same code, same stack). Run: node --import tsx bench/stream.ts [readings]
import { randomBytes } from "node:crypto";

const N = Number(process.argv[2] ?? 1_000_000);
const DEVICES = 1000;
const run = randomBytes(3).toString("hex");
process.env.WATTLINE_TOPIC_PREFIX = `bench-${run}.`;
process.env.WATTLINE_LEDGER_GROUP = `bench-${run}-ledger`;

const { loadConfig } = await import("../ground/config.ts");
const { createLogger } = await import("../ground/logger.ts");
const { createKafka } = await import("../ground/kafka.ts");
const { questdbSender } = await import("../ground/questdb.ts");
const { ensureTopics, TOPICS } = await import("../ground/topics.ts");
const { startLedgerProcessor } = await import("../pipelines/ledger/processor.ts");
const { ledgerChangelog } = await import("../pipelines/ledger/changelog.ts");
const { recordsProcessed } = await import("../pipelines/runtime/runtime-metrics.ts");
const { schemaStore } = await import("../schemas/codec/schema-store.ts");

const config = loadConfig();
await (await import("./prepare.ts")).prepareStack(config);
const kafka = createKafka(config, "bench-stream");
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, config, [ledgerChangelog()]);

async function fill(): Promise<void> {
  const store = schemaStore();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const t0 = Date.UTC(2025, 5, 1);
  const perDevice = Math.ceil(N / DEVICES);
  for (let step = 0; step < perDevice; step++) {
    const messages = [];
    for (let d = 0; d < DEVICES && step * DEVICES + d < N; d++) {
      const device_id = `bench-${d}`;
      const record = {
        device_id,
        ts: t0 + step * 60_000,
        ts_source: "device" as const,
        energy_wh_total: step * 10 + d,
        power_w: 600,
        boot_id: null,
        seq: step,
        switch_state: null,
        voltage_v: null,
        current_a: null,
        source: "bench",
        received_at: Date.now(),
      };
      messages.push({ key: device_id, value: store.encode("TelemetryReading", record) });
    }
    await producer.send({ topic: TOPICS.telemetry, acks: -1, messages });
  }
  await producer.disconnect();
}

async function consumed(groupId: string): Promise<number> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [TOPICS.telemetry] });
  return offsets.flatMap((t) => t.partitions).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

/** What a pipe did: readings per second, and CPU µs per reading. */
interface Measured {
  perSecond: number;
  cpuUsPerReading: number;
}

/** Starts a measurement: call the result when the pipe has drained the topic. */
function measure(): () => Measured {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { perSecond: N / seconds, cpuUsPerReading: (cpu.user + cpu.system) / N };
  };
}

async function processed(processor: string): Promise<number> {
  const { values } = await recordsProcessed.get();
  return values.find((v) => v.labels.processor === processor)?.value ?? 0;
}

async function drained(groupId: string): Promise<void> {
  while ((await consumed(groupId)) < N) await new Promise((r) => setTimeout(r, 200));
}

async function bare(): Promise<Measured> {
  const groupId = `bench-${run}-bare`;
  const sender = await questdbSender(config);
  const consumer = kafka.consumer({ groupId, maxBytes: 8 * 1024 * 1024 });
  const table = `bench_bare_${run}`;
  const done = measure();
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.telemetry, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        sender
          .table(table)
          .symbol("device_id", m.key?.toString() ?? "")
          .stringColumn("payload", m.value?.toString("base64") ?? "");
        await sender.at(BigInt(m.timestamp) * 1000n, "us");
      }
      await sender.flush();
      const last = batch.messages.at(-1);
      if (last)
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: String(BigInt(last.offset) + 1n) },
        ]);
    },
  });
  await drained(groupId);
  const measured = done();
  await consumer.disconnect();
  await sender.close();
  await admin.deleteGroups([groupId]).catch(() => {});
  return measured;
}

/**
 * The ledger has drained the topic when it has taken every reading and its final checkpoint (stop) has written
 * their rows. Its committed offsets cannot tell: they stop before the readings it still holds for the allowed
 * lateness, which a silent device's flush lets go only after WATTLINE_SILENT_FLUSH_MS.
 */
async function ledger(): Promise<Measured> {
  const done = measure();
  const processor = await startLedgerProcessor(config, createLogger("bench", "warn"));
  while ((await processed("ledger")) < N) await new Promise((r) => setTimeout(r, 50));
  await processor.stop();
  const measured = done();
  await admin.deleteGroups([config.ledger.groupId]).catch(() => {});
  return measured;
}

await fill();
const baseline = await bare();
const wattline = await ledger();
await admin.deleteTopics({ topics: [...Object.values(TOPICS), ledgerChangelog()] }).catch(() => {});
await admin.disconnect();
console.log(`readings:                        ${N} (${DEVICES} devices, one a minute)`);
console.log(`baseline consume → ILP:          ${Math.round(baseline.perSecond)} readings/s`);
console.log(`wattline process ledger:         ${Math.round(wattline.perSecond)} readings/s`);
console.log(`ratio (wattline / baseline):     ${(wattline.perSecond / baseline.perSecond).toFixed(2)}`);
console.log(`baseline CPU per reading:        ${baseline.cpuUsPerReading.toFixed(1)} µs`);
console.log(`wattline CPU per reading:        ${wattline.cpuUsPerReading.toFixed(1)} µs`);
console.log(
  `CPU ratio (wattline / baseline): ${(wattline.cpuUsPerReading / baseline.cpuUsPerReading).toFixed(2)}`,
);
process.exit(0);
