// The status processor on the runtime's test driver, against the stack's Postgres, QuestDB and Kafka: a batch does
// not wait for its group commit, so its partition's checkpoint must, before it commits the batch's offsets.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { createKafka, type Producer } from "../../../ground/kafka.ts";
import { createLogger } from "../../../ground/logger.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool, questdbSender, type RowSender } from "../../../ground/questdb.ts";
import { ensureTopics, TOPICS } from "../../../ground/topics.ts";
import { TestDriver } from "../../../pipelines/runtime/test-driver.ts";
import { statusProcessor } from "../../../pipelines/status/processor.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { ensureHistoryTable } from "../../../schemas/questdb/status-history.ts";
import { config, unique } from "../../support/stack.ts";

const logger = createLogger("test", "warn");
const device = unique("status-ckpt");
let pool: pg.Pool;
let sender: RowSender;
let producer: Producer;

before(async () => {
  // With its DDL (DEDUP keys, column names): a first row written over ILP would create it without them.
  const questdb = questdbPool(config, 1);
  await ensureHistoryTable(questdb).finally(() => questdb.end());
  // The feed's topic, which the first transition is published to, on a stack no test has used yet.
  const admin = createKafka(config, "test-status-checkpoint-admin").admin();
  await admin.connect();
  await ensureTopics(admin, config).finally(() => admin.disconnect());
  pool = postgresPool(config, 2);
  sender = await questdbSender(config);
  producer = createKafka(config, "test-status-checkpoint").producer();
  await producer.connect();
});

after(async () => {
  await pool.query("DELETE FROM device_status WHERE device_id = $1", [device]);
  await producer.disconnect();
  await sender.close();
  await pool.end();
});

const reading = (ts: number) => ({
  key: device,
  value: schemaStore().encode("TelemetryReading", {
    device_id: device,
    ts,
    ts_source: "device",
    energy_wh_total: 100,
    power_w: null,
    boot_id: null,
    seq: null,
    switch_state: null,
    voltage_v: null,
    current_a: null,
    source: "test",
    received_at: ts,
  }),
});

test("a checkpoint commits a batch's offsets only once its group is committed to Postgres, and fails when the group fails", async () => {
  const t0 = Date.now();
  // Nothing listens there: every transaction fails.
  const down = new pg.Pool({ connectionString: "postgres://nobody:x@127.0.0.1:1/none", max: 1 });
  const failing = new TestDriver(
    statusProcessor({ pool: down, sender, producer }, logger, { groupMs: 0 }).processor,
  );
  await failing.start();
  await failing.pipe(TOPICS.telemetry, 0, [reading(t0)]);
  await assert.rejects(failing.checkpoint(0));
  assert.equal(
    failing.committed(TOPICS.telemetry, 0),
    undefined,
    "nothing committed past a group that failed",
  );
  await down.end();

  const driver = new TestDriver(
    statusProcessor({ pool, sender, producer }, logger, { groupMs: 0 }).processor,
  );
  await driver.start();
  await driver.pipe(TOPICS.telemetry, 0, [reading(t0), reading(t0 + 1000)]);
  await driver.checkpoint(0);
  assert.equal(driver.committed(TOPICS.telemetry, 0), 2n);
  const { rows } = await pool.query<{ status: string; last_seen: Date }>(
    "SELECT status, last_seen FROM device_status WHERE device_id = $1",
    [device],
  );
  assert.equal(rows[0]?.status, "online");
  assert.equal(rows[0]?.last_seen.getTime(), t0 + 1000);
  assert.deepEqual(driver.failures, []);
});
