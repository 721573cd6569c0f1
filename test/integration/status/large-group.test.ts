import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type pg from "pg";
import { createKafka, type Producer } from "../../../ground/kafka.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool, questdbSender, type Sender } from "../../../ground/questdb.ts";
import { ensureTopics } from "../../../ground/topics.ts";
import { applyEvents } from "../../../pipelines/status/apply.ts";
import type { DeviceEvent } from "../../../pipelines/status/events.ts";
import { ensureHistoryTable } from "../../../schemas/questdb/status-history.ts";
import { ownTopics } from "../../support/own-topics.ts";
import { eventually } from "../../support/processors.ts";
import { config, unique } from "../../support/stack.ts";

// Its 50,000 transitions stay off the topic other tests read from the beginning.
const topics = ownTopics("status-group");
const run = unique("status_group");
const DEVICES = 50_000;

let pool: pg.Pool;
let questdb: pg.Pool;
let sender: Sender;
let producer: Producer;

before(async () => {
  const kafka = createKafka(config, "test-status-group");
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  pool = postgresPool(config, 2);
  // As the processor does at its start: a history row written first would create the table without its DEDUP keys.
  questdb = questdbPool(config, 1);
  await ensureHistoryTable(questdb);
  sender = await questdbSender(config);
  producer = kafka.producer();
  await producer.connect();
});

after(async () => {
  await pool.query("DELETE FROM device_status WHERE device_id LIKE $1", [`${run}%`]);
  await producer.disconnect();
  await sender.close();
  await pool.end();
  await questdb.end();
  await topics.drop();
});

test("a group of batches from a fleet of 50,000 devices is applied, however many locks one transaction can hold, in units side by side", async () => {
  // One transaction locking this many devices fails on Postgres' shared lock table ("out of shared memory").
  const at = Date.now();
  const events: DeviceEvent[] = Array.from({ length: DEVICES }, (_, i) => ({
    deviceId: `${run}-${i}`,
    at,
    event: { kind: "telemetry" },
  }));
  const transitions = await applyEvents({ pool, sender, producer }, events);
  assert.equal(transitions.length, DEVICES);
  assert.ok(transitions.every((t) => t.from === null && t.to === "online" && t.reason === "telemetry"));
  const { rows } = await pool.query<{ online: number }>(
    "SELECT count(*)::int AS online FROM device_status WHERE device_id LIKE $1 AND status = 'online'",
    [`${run}%`],
  );
  assert.equal(rows[0]?.online, DEVICES);
  // The units share one QuestDB sender: every transition's history row is there, once.
  await eventually(
    `${DEVICES} history rows`,
    async () => {
      const { rows: history } = await questdb.query<{ n: string; devices: string }>(
        "SELECT count() AS n, count_distinct(device_id) AS devices FROM device_status_history WHERE device_id LIKE $1",
        [`${run}%`],
      );
      const [n, devices] = [Number(history[0]?.n), Number(history[0]?.devices)];
      return n === DEVICES ? devices : undefined;
    },
    60_000,
  ).then((devices) => assert.equal(devices, DEVICES));

  // Applied again (a retry after a failure part-way): nothing changes, nothing is published twice.
  assert.deepEqual(await applyEvents({ pool, sender, producer }, events.slice(0, 3000)), []);
});
