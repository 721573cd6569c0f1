import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type pg from "pg";
import { createKafka, type Producer } from "../../../ground/kafka.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool, questdbSender, type Sender } from "../../../ground/questdb.ts";
import { ensureTopics } from "../../../ground/topics.ts";
import { applyEvents } from "../../../pipelines/status/apply.ts";
import type { DeviceEvent } from "../../../pipelines/status/events.ts";
import { allowedGapMs, type DeviceState, observe } from "../../../pipelines/status/state.ts";
import { ensureHistoryTable } from "../../../schemas/questdb/status-history.ts";
import { ownTopics } from "../../support/own-topics.ts";
import { config, unique } from "../../support/stack.ts";

// Signs of life that keep an online device online are applied without loading it (store.touchOnline); the rest
// through the fold. Either way the stored state and the transitions must be the fold's.
const topics = ownTopics("status-stays-online");
const run = unique("stays_online");
const site = `${run}-site`.replaceAll("_", "-");
const INTERVAL_S = 2;
const gap = allowedGapMs(INTERVAL_S);

let pool: pg.Pool;
let sender: Sender;
let producer: Producer;

before(async () => {
  const kafka = createKafka(config, "test-status-stays-online");
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  pool = postgresPool(config, 2);
  const questdb = questdbPool(config, 1);
  await ensureHistoryTable(questdb);
  await questdb.end();
  sender = await questdbSender(config);
  producer = kafka.producer();
  await producer.connect();
  await pool.query("INSERT INTO sites (id, name, timezone) VALUES ($1, 'stays online test', 'UTC')", [site]);
});

after(async () => {
  await pool.query("DELETE FROM device_status WHERE device_id LIKE $1", [`${run}%`]);
  await pool.query("DELETE FROM devices WHERE site_id = $1", [site]);
  await pool.query("DELETE FROM sites WHERE id = $1", [site]);
  await producer.disconnect();
  await sender.close();
  await pool.end();
  await topics.drop();
});

const stored = async (id: string): Promise<DeviceState> => {
  const { rows } = await pool.query<{
    status: "online";
    reason: "telemetry";
    changed_at: Date;
    last_seen: Date;
  }>("SELECT status, reason, changed_at, last_seen FROM device_status WHERE device_id = $1", [id]);
  const r = rows[0];
  return r
    ? {
        status: r.status,
        reason: r.reason,
        changedAt: r.changed_at.getTime(),
        lastSeen: r.last_seen.getTime(),
      }
    : null;
};

test("signs of life at the edges of the allowed gap leave exactly the fold's state and transitions", async () => {
  const t0 = Date.parse("2026-12-06T10:00:00.000Z");
  // Half the devices are registered with a 2 s interval (gap 6 s), half are not (the default 60 s, gap 180 s).
  const cases: [string, number[]][] = [
    ["at-limit", [t0 + gap]],
    ["past-limit", [t0 + gap + 1]],
    ["steady", [t0 + 500, t0 + 1_000, t0 + 900, t0 + 1_000 + gap]],
    ["jump", [t0 + 1_000, t0 + 2_001 + gap]],
    ["older", [t0 - 5_000]],
  ];
  const devices = cases.flatMap(([name, ats]) => [
    { id: `${run}-${name}-reg`, ats },
    { id: `${run}-${name}-unreg`, ats },
  ]);
  for (const { id } of devices.filter((d) => d.id.endsWith("-reg")))
    await pool.query(
      "INSERT INTO devices (device_id, site_id, kind, expected_interval_s) VALUES ($1, $2, 'meter', $3)",
      [id, site, INTERVAL_S],
    );
  const telemetry = (deviceId: string, at: number): DeviceEvent => ({
    deviceId,
    at,
    event: { kind: "telemetry" },
  });
  const sinks = { pool, sender, producer };
  assert.equal(
    (
      await applyEvents(
        sinks,
        devices.map((d) => telemetry(d.id, t0)),
      )
    ).length,
    devices.length,
  );

  const later = devices.flatMap((d) => d.ats.map((at) => telemetry(d.id, at)));
  const transitions = await applyEvents(sinks, later);
  for (const { id, ats } of devices) {
    const gapMs = id.endsWith("-reg") ? gap : allowedGapMs(60);
    let state: DeviceState = { status: "online", reason: "telemetry", changedAt: t0, lastSeen: t0 };
    const expected = [];
    for (const at of ats) {
      const o = observe(state, { kind: "telemetry" }, at, gapMs);
      state = o.state;
      expected.push(...o.transitions.map((t) => ({ ...t, deviceId: id })));
    }
    assert.deepEqual(await stored(id), state, id);
    assert.deepEqual(
      transitions.filter((t) => t.deviceId === id).map(({ derivedAt: _, ...t }) => t),
      expected,
      id,
    );
  }
  // The registered devices past their 6 s gap went offline and back; the unregistered ones (180 s) did not.
  assert.deepEqual(
    [...new Set(transitions.map((t) => t.deviceId))].sort(),
    [`${run}-jump-reg`, `${run}-past-limit-reg`].sort(),
  );
});
