// bench/replay: one day of D devices at one reading a minute (default 10,000 devices: 14.4 million readings)
// recalculated by `wattline replay` (read, decode, fold, write the day's ledger rows), against a baseline in the
// same run that only reads and decodes the same partitions; then the same replay with --with-readings (the readings
// rows rewritten too). Run: node --import tsx bench/replay.ts [devices]
import { randomBytes } from "node:crypto";

const DEVICES = Number(process.argv[2] ?? 10_000);
const PER_DEVICE = 1440;
const run = randomBytes(3).toString("hex");
process.env.WATTLINE_TOPIC_PREFIX = `bench-${run}.`;

const { loadConfig } = await import("../ground/config.ts");
const { createKafka } = await import("../ground/kafka.ts");
const { readTopic } = await import("../pipelines/runtime/read-topic.ts");
const { ensureTopics, TOPICS } = await import("../ground/topics.ts");
const { replayRange } = await import("../pipelines/ledger/replay.ts");
const { schemaStore } = await import("../schemas/codec/schema-store.ts");

const config = loadConfig();
await (await import("./prepare.ts")).prepareStack(config);
const kafka = createKafka(config, "bench-replay");
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, config);
const store = schemaStore();
// A day of its own (in 2000–2009): a day that earlier runs filled makes the replay compare against, and QuestDB
// merge into, their rows too, so each run on one stack was slower than the one before.
const day = Date.UTC(2000, 0, 1) + (Number.parseInt(run, 16) % 3650) * 86_400_000;
const total = DEVICES * PER_DEVICE;

const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const filled = performance.now();
for (let minute = 0; minute < PER_DEVICE; minute++) {
  const messages = [];
  for (let d = 0; d < DEVICES; d++) {
    const device_id = `rb-${run}-${d}`;
    const ts = day + minute * 60_000;
    const record = {
      device_id,
      ts,
      ts_source: "device" as const,
      energy_wh_total: minute * 5 + (d % 7),
      power_w: 300,
      boot_id: null,
      seq: minute,
      switch_state: null,
      voltage_v: null,
      current_a: null,
      source: "bench",
      received_at: ts + 1000, // a plausible receipt: a ts an hour past it is dropped (ts_out_of_range)
    };
    messages.push({ key: device_id, value: store.encode("TelemetryReading", record) });
  }
  await producer.send({ topic: TOPICS.telemetry, acks: -1, messages });
}
await producer.disconnect();
process.stderr.write(`filled ${total} readings in ${((performance.now() - filled) / 1000).toFixed(0)} s\n`);

let decoded = 0;
const t0 = performance.now();
await readTopic(kafka, TOPICS.telemetry, {
  onBatch(_p, messages) {
    for (const m of messages) if (m.value && store.decode(m.value)) decoded++;
  },
});
const baseline = decoded / ((performance.now() - t0) / 1000);

const timed = async (withReadings: boolean) => {
  const t = performance.now();
  const summary = await replayRange(config, { from: day, to: day + 86_400_000, withReadings });
  const seconds = (performance.now() - t) / 1000;
  // A replay that skipped readings would measure less work than it was given.
  if (summary.readings !== total)
    throw new Error(`the replay took in ${summary.readings} of ${total} readings`);
  return { summary, seconds, rate: total / seconds };
};
const ledger = await timed(false);
const withReadings = await timed(true);

await admin.deleteTopics({ topics: Object.values(TOPICS) }).catch(() => {});
await admin.disconnect();
const line = (label: string, r: typeof ledger) =>
  console.log(
    `${label.padEnd(35)}${Math.round(r.rate)} readings/s, ${r.seconds.toFixed(0)} s, ratio ${(r.rate / baseline).toFixed(2)}`,
  );
console.log(`readings:                          ${total} (${DEVICES} devices, one a minute, one day)`);
console.log(`baseline read + decode:            ${Math.round(baseline)} readings/s`);
line("wattline replay (ledger rows):", ledger);
line("  the same --with-readings:", withReadings);
console.log(`ratio (wattline / baseline):       ${(ledger.rate / baseline).toFixed(2)}`);
console.log(`hourly rows written:               ${JSON.stringify(ledger.summary.hourly ?? {})}`);
process.exit(0);
