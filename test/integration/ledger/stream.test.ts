import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import {
  computeRows,
  config,
  type EnergyRows,
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

/** Publishes the fixture, runs `instances` processors, and asserts QuestDB ends up with the batch's rows. */
async function assertStreamEqualsBatch(fx: Fixture, expected: EnergyRows, instances = 1): Promise<void> {
  await publishFixture(fx);
  const processors = Array.from({ length: instances }, () => startProcessor(fx));
  try {
    assert.deepEqual(await waitForRows(questdb, fx, expected, 120_000), expected);
  } finally {
    await Promise.all(processors.map((p) => stopProcessor(p)));
  }
}

test("readings through real Kafka into real QuestDB give the hourly and daily numbers of wattline compute", async () => {
  await withFixture(12, 86_400, async (fx) => {
    const expected = await computeRows(fx);
    assert.ok(expected.hourly.length > 200 && expected.daily.length >= 12);
    await assertStreamEqualsBatch(fx, expected);
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

test("two instances in one group split the partitions and give the same rows as one", async () => {
  await withFixture(12, 43_200, async (fx) => {
    const expected = await computeRows(fx);
    await assertStreamEqualsBatch(fx, expected, 2);
  });
});

/** Holds each device's 60th reading back and sends it after everything else: about an hour late. */
function sendSixtiethLast(fx: Fixture): void {
  const lines = readFileSync(fx.capture, "utf8").trim().split("\n");
  const held: string[] = [];
  const count = new Map<string, number>();
  const sent = lines.filter((l) => {
    if (!l.includes("/telemetry")) return true;
    const device = (JSON.parse(l) as { topic: string }).topic.split("/")[1] ?? "";
    count.set(device, (count.get(device) ?? 0) + 1);
    if (count.get(device) !== 60) return true;
    held.push(l);
    return false;
  });
  assert.equal(held.length, 3);
  writeFileSync(fx.capture, `${sent.join("\n")}\n`);
  appendFileSync(fx.capture, `${held.join("\n")}\n`);
}

test("a reading later than the allowed lateness is recalculated automatically: the rows converge to the batch", async () => {
  await withFixture(3, 7_200, async (fx) => {
    sendSixtiethLast(fx);
    const expected = await computeRows(fx);
    await assertStreamEqualsBatch(fx, expected);
  });
});
