// The API's versioned group rows on the shared QuestDB: a statement's rows are kept while the group views apply
// nothing new, concurrent asks share one query, and a row written to energy_daily is in the answer within a poll of
// the view applying it. Sites and devices are the run's own.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { groupDayTotals } from "../../../api/energy/group-rollups.ts";
import { VersionedGroupRows } from "../../../api/energy/group-rows.ts";
import { registry } from "../../../ground/metrics.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { groupViewsCaughtUp } from "../../../schemas/questdb/groups.ts";
import { withSender } from "../../support/ledger-seed.ts";
import { config } from "../../support/stack.ts";

const run = randomBytes(3).toString("hex");
const site = `group-rows-${run}`;
const devices = [`gr-${run}-a`, `gr-${run}-b`];
const questdb = questdbPool(config, 4);
const POLL_MS = 100;
const source = new VersionedGroupRows(questdb, { pollMs: POLL_MS });
after(async () => {
  await source.stop();
  await questdb.end();
});

/** The devices' mirror rows, visible before any energy row: the views join each row to the mirror as they apply it. */
async function writeMirror(): Promise<void> {
  await withSender(async (sender) => {
    for (const device of devices) {
      sender.table("devices").symbol("device_id", device).symbol("site_id", site);
      await sender.symbol("timezone", "UTC").symbol("kind", "meter").at(0n, "us");
    }
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await questdb.query<{ n: string }>("SELECT count() n FROM devices WHERE site_id = $1", [
      site,
    ]);
    if (Number(rows[0]?.n) === devices.length) return;
    assert.ok(Date.now() < deadline, "the mirror rows are visible within 30 s");
    await sleep(100);
  }
}

async function writeDays(dates: string[], wh: number): Promise<void> {
  await withSender(async (sender) => {
    for (const device of devices)
      for (const date of dates) {
        sender.table("energy_daily").symbol("device_id", device).symbol("confidence", "high");
        sender.floatColumn("energy_wh", wh).intColumn("hours", 24).intColumn("readings", 24);
        sender.intColumn("duplicates", 0).intColumn("resets", 0).intColumn("anomalies", 0);
        await sender.at(BigInt(Date.parse(`${date}T00:00:00Z`)) * 1000n, "us");
      }
  });
  assert.ok(await groupViewsCaughtUp(questdb, 60_000), "the group views apply the rows");
}

const kept = async () =>
  (await registry.getSingleMetricAsString("wattline_api_group_rows_total"))
    .split("\n")
    .find((l) => l.includes('answer="kept"'))
    ?.split(" ")
    .at(-1) ?? "0";

const siteDays = () => groupDayTotals(source, { kind: "site", id: site }, "2003-03-01", "2003-03-08");

test("group rows are kept until the views move, shared by concurrent asks, and follow a new row", async () => {
  await writeMirror();
  await writeDays(["2003-03-01", "2003-03-02"], 100);
  await source.start();
  const before = Number(await kept());
  const [a, b] = await Promise.all([siteDays(), siteDays()]);
  assert.deepEqual(a, b);
  assert.deepEqual(
    a.map((d) => [d.date, d.energy_wh, d.devices]),
    [
      ["2003-03-01", 200, 2],
      ["2003-03-02", 200, 2],
    ],
  );
  assert.deepEqual(await siteDays(), a, "the same answer while nothing moved");
  assert.equal(
    Number(await kept()) - before,
    2,
    "the second concurrent ask and the later one were kept answers",
  );

  await writeDays(["2003-03-03"], 50);
  await sleep(POLL_MS * 3);
  assert.deepEqual(
    (await siteDays()).map((d) => [d.date, d.energy_wh]),
    [
      ["2003-03-01", 200],
      ["2003-03-02", 200],
      ["2003-03-03", 100],
    ],
    "a day the views applied is in the answer within a poll",
  );
});
