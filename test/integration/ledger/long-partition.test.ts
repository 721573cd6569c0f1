// A partition holding more than one fetch of records (kafkajs fetches at most 1 MiB per partition): the processor
// must move its fetch position past each batch it took, or it reads the same first megabyte for ever and stalls.
// One device puts every reading in one partition.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { poll } from "./support.ts";

const run = randomBytes(3).toString("hex");
process.env.WATTLINE_TOPIC_PREFIX = `long-${run}.`;
process.env.WATTLINE_LEDGER_GROUP = `long-${run}-ledger`;
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

const READINGS = 20_000;
const device = `long-${run}-dev`;
const config = loadConfig();
const kafka = createKafka(config, "test-long-partition");
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

test("a partition of more than one fetch is taken to its end, every reading stored", async () => {
  const store = schemaStore();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const t0 = Date.UTC(2023, 0, 1);
  for (let start = 0; start < READINGS; start += 2000) {
    const messages = Array.from({ length: 2000 }, (_, j) => {
      const i = start + j;
      const value = store.encode("TelemetryReading", {
        device_id: device,
        ts: t0 + i * 60_000,
        ts_source: "device",
        energy_wh_total: i * 10,
        power_w: 600,
        boot_id: null,
        seq: i,
        switch_state: null,
        voltage_v: null,
        current_a: null,
        source: "test",
        received_at: t0 + i * 60_000,
      });
      return { key: device, value };
    });
    await producer.send({ topic: TOPICS.telemetry, acks: -1, messages });
  }
  await producer.disconnect();
  const sizes = await admin.fetchTopicOffsets(TOPICS.telemetry);
  assert.ok(
    sizes.some((p) => Number(p.high) === READINGS),
    "every reading in one partition",
  );

  const processor = await startLedgerProcessor(config, createLogger("test", "warn"));
  try {
    const committed = await poll(
      async () =>
        (await admin.fetchOffsets({ groupId: config.ledger.groupId, topics: [TOPICS.telemetry] }))
          .flatMap((t) => t.partitions)
          .reduce((n, p) => n + Math.max(0, Number(p.offset)), 0),
      (n) => n >= READINGS,
      60_000,
    );
    assert.equal(committed, READINGS);
    const stored = await poll(
      async () =>
        Number(
          (await questdb.query("SELECT count() AS n FROM readings WHERE device_id = $1", [device])).rows[0]
            ?.n ?? 0,
        ),
      (n) => n >= READINGS,
      30_000,
    );
    assert.equal(stored, READINGS);
  } finally {
    await processor.stop();
  }
});
