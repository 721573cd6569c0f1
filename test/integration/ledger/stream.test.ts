import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { postgresPool } from "../../../pipelines/runtime/postgres.ts";
import { questdbPool } from "../../../pipelines/runtime/questdb.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import {
  computeRows,
  config,
  type Fixture,
  makeFixture,
  publishFixture,
  registerFixture,
  startProcessor,
  stopProcessor,
  unregisterFixture,
  waitForRows,
} from "../../support/ledger.ts";

const pool = postgresPool(config, 2);
const questdb = questdbPool(config, 2);

before(() => migrate(config));
after(() => Promise.all([pool.end(), questdb.end()]));

async function withFixture(
  devices: number,
  seconds: number,
  body: (fx: Fixture) => Promise<void>,
): Promise<void> {
  const fx = await makeFixture(devices, seconds);
  await registerFixture(pool, fx);
  try {
    await body(fx);
  } finally {
    await unregisterFixture(pool, fx);
  }
}

test("readings through real Kafka into real QuestDB give the hourly and daily numbers of wattline compute", async () => {
  await withFixture(12, 86_400, async (fx) => {
    const expected = await computeRows(fx);
    assert.ok(expected.hourly.length > 200 && expected.daily.length >= 12);
    await publishFixture(fx);
    const processor = startProcessor(fx);
    try {
      const stored = await waitForRows(questdb, fx, expected, 120_000);
      assert.deepEqual(stored, expected);
    } finally {
      await stopProcessor(processor);
    }
  });
});

test("kill -9 the processor at random moments, restart it: the final rows are exactly the batch's", async () => {
  await withFixture(12, 86_400, async (fx) => {
    const expected = await computeRows(fx);
    const publishing = publishFixture(fx);
    let processor = startProcessor(fx);
    for (let kill = 0; kill < 4; kill++) {
      await sleep(2500 + Math.random() * 3000);
      await stopProcessor(processor, "SIGKILL");
      processor = startProcessor(fx);
    }
    await publishing;
    try {
      const stored = await waitForRows(questdb, fx, expected, 150_000);
      assert.deepEqual(stored, expected);
    } finally {
      await stopProcessor(processor);
    }
  });
});
