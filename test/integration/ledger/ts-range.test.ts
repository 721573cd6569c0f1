// The ledger validates what it decodes with the connectors' rule on timestamps: a reading before 2000 or more than
// WATTLINE_MAX_FUTURE_MS after its received_at (written by another producer, or before the connectors checked) is
// not folded but dead-lettered (source "stream", reason ts_out_of_range), and the device's good readings go on.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { poll } from "./support.ts";

const run = randomBytes(3).toString("hex");
process.env.WATTLINE_TOPIC_PREFIX = `tsr-${run}.`;
process.env.WATTLINE_LEDGER_GROUP = `tsr-${run}-ledger`;
// The last reading stays held in its reorder buffer (its offset uncommitted) until the silent-device wait.
process.env.WATTLINE_SILENT_FLUSH_MS = "1000";

const { loadConfig } = await import("../../../ground/config.ts");
const { createLogger } = await import("../../../ground/logger.ts");
const { createKafka } = await import("../../../ground/kafka.ts");
const { questdbPool } = await import("../../../ground/questdb.ts");
const { ensureTopics, TOPICS } = await import("../../../ground/topics.ts");
const { ledgerChangelog } = await import("../../../pipelines/ledger/changelog.ts");
const { startLedgerProcessor } = await import("../../../pipelines/ledger/processor.ts");
const { schemaStore } = await import("../../../schemas/codec/schema-store.ts");
const { collect } = await import("../../support/kafka.ts");

const device = `tsr-${run}-dev`;
const config = loadConfig();
const kafka = createKafka(config, "test-ts-range");
const admin = kafka.admin();
const questdb = questdbPool(config, 1);

before(async () => {
  await admin.connect();
  await ensureTopics(admin, config, [ledgerChangelog()]);
});

after(async () => {
  await admin.deleteTopics({ topics: [...Object.values(TOPICS), ledgerChangelog()] }).catch(() => {});
  await admin.deleteGroups([config.ledger.groupId]).catch(() => {});
  await admin.disconnect();
  await questdb.end();
});

test("readings before 2000 or far after their receive time are dead letters, not ledger entries", async () => {
  const store = schemaStore();
  const now = Date.now();
  const t0 = now - 3_600_000;
  const reading = (ts: number, energy: number) =>
    store.encode("TelemetryReading", {
      device_id: device,
      ts,
      ts_source: "device",
      energy_wh_total: energy,
      power_w: null,
      boot_id: null,
      seq: null,
      switch_state: null,
      voltage_v: null,
      current_a: null,
      source: "test",
      received_at: now,
    });
  const ancient = reading(Date.UTC(1990, 5, 1), 5);
  const future = reading(now + 10 * 365 * 86_400_000, 7);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic: TOPICS.telemetry,
    acks: -1,
    messages: [reading(t0, 100), ancient, future, reading(t0 + 60_000, 110)].map((value) => ({
      key: device,
      value,
    })),
  });
  await producer.disconnect();

  const processor = await startLedgerProcessor(config, createLogger("test", "warn"));
  try {
    const dead = await collect(TOPICS.deadLetter, (k) => k === device, 2, 30_000);
    assert.deepEqual(
      dead.map((d) => [d.record.source, d.record.reason, d.record.original_topic, d.record.key]),
      [
        ["stream", "ts_out_of_range", TOPICS.telemetry, device],
        ["stream", "ts_out_of_range", TOPICS.telemetry, device],
      ],
    );
    assert.deepEqual(
      dead.map((d) => d.record.payload),
      [ancient, future],
    );
    assert.match(String(dead[0]?.record.details), /^ts 1990-06-01T00:00:00.000Z is before 2000-01-01/);
    assert.match(String(dead[1]?.record.details), /is more than \d+ ms after its receive time/);

    const committed = await poll(
      async () =>
        (await admin.fetchOffsets({ groupId: config.ledger.groupId, topics: [TOPICS.telemetry] }))
          .flatMap((t) => t.partitions)
          .reduce((n, p) => n + Math.max(0, Number(p.offset)), 0),
      (n) => n >= 4,
      30_000,
    );
    assert.equal(committed, 4, "the refused readings are taken, not retried");
    const stored = await poll(
      async () =>
        (
          await questdb.query<{ energy_wh_total: number }>(
            "SELECT energy_wh_total FROM readings WHERE device_id = $1 ORDER BY ts",
            [device],
          )
        ).rows.map((r) => Number(r.energy_wh_total)),
      (energies) => energies.length >= 2,
      30_000,
    );
    assert.deepEqual(stored, [100, 110], "only the good readings are in the ledger's readings");
  } finally {
    await processor.stop();
  }
});
