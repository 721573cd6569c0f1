import assert from "node:assert/strict";
import { test } from "node:test";
import { startHopeCloudConnector } from "../../../connectors/hopecloud/connector/connector.ts";
import { inverterDeviceId } from "../../../connectors/hopecloud/records/reading-record.ts";
import { syncCommunicationModules } from "../../../connectors/hopecloud/sync/one-shot.ts";
import { PROCESS_JOB, startModuleProcessor } from "../../../connectors/hopecloud/sync/processor.ts";
import type { SyncReport } from "../../../connectors/hopecloud/sync/report.ts";
import { createLogger } from "../../../ground/logger.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { collect } from "../../support/kafka.ts";
import { config, unique } from "../../support/stack.ts";
import { hopecloudFixture, moduleRows, waitFor } from "./support.ts";

const quiet = createLogger("hopecloud-test", "silent");
/** Daytime in Tashkent, 2 min 12 s after an upload: the cloud's latest data is from 14:45:00 local. */
const NOW = Date.UTC(2025, 5, 19, 9, 47, 12);

test("realtime energy arrives on telemetry.energy.v1 as TelemetryReadings in Wh, timed by the cloud's data", async () => {
  const f = await hopecloudFixture([{ inverters: 3, timeZone: "Asia/Tashkent" }], {
    simulator: { now: () => NOW },
  });
  const connector = await startHopeCloudConnector(config, f.pool, f.client, quiet, { siteIds: f.siteIds });
  try {
    // The cloud's own answer is the oracle: its kWh (two decimals) as integer Wh.
    const res = await fetch(`${f.sim.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appKey: "wattline-sim", appSecret: "wattline-sim-secret" }),
    });
    const token = ((await res.json()) as { data: { accessToken: string } }).data.accessToken;
    const inverters = f.sim.plants[0]?.inverters ?? [];
    const realtime = await fetch(`${f.sim.url}/api/equipment/realtime`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ snList: inverters.map((i) => i.sn) }),
    });
    const cloud = (
      (await realtime.json()) as {
        data: { sn: string; timestamp: string; totalKwh: number; activePower: number }[];
      }
    ).data;
    assert.ok(cloud.every((r) => r.timestamp === "2025-06-19 14:45:00"));

    const summary = await connector.poll();
    assert.deepEqual(
      [summary.plants, summary.modules, summary.readings, summary.errors.length],
      [1, 1, 3, 0],
    );
    const ids = new Set(inverters.map((i) => inverterDeviceId(i.sn)));
    const got = await collect(TOPICS.telemetry, (key) => key !== null && ids.has(key), 3);
    assert.equal(got.length, 3);
    for (const c of cloud) {
      const reading = got.find((g) => g.key === `hc-${c.sn}`);
      assert.ok(reading, c.sn);
      assert.equal(reading.name, "TelemetryReading");
      assert.equal(reading.record.energy_wh_total, Math.round(c.totalKwh * 100) * 10);
      assert.equal(reading.record.power_w, Math.round(c.activePower * 1000));
      assert.equal(reading.record.ts, Date.UTC(2025, 5, 19, 9, 45), "14:45 in Tashkent (UTC+5)");
      assert.equal(reading.record.ts_source, "device");
      assert.equal(reading.record.source, "hopecloud");
      assert.ok((reading.record.power_w as number) > 0);
    }
    const again = await connector.poll();
    assert.deepEqual([again.readings, again.stale_readings], [0, 3], "the same data is not published twice");
  } finally {
    await connector.stop();
    await f.close();
  }
});

test("a cloud record that fails validation goes to the dead-letter topic, the others go on", async () => {
  const f = await hopecloudFixture([{ modules: 2 }]);
  const connector = await startHopeCloudConnector(config, f.pool, f.client, quiet, { siteIds: f.siteIds });
  try {
    const bad = f.sim.plants[0]?.modules[0];
    assert.ok(bad);
    f.sim.control.updateModule(bad.id, { startTime: "yesterday" });
    const summary = await connector.poll();
    assert.deepEqual([summary.modules, summary.dead_letters], [1, 1]);
    const [letter] = await collect(TOPICS.deadLetter, (key) => key === bad.id, 1);
    assert.equal(letter?.record.source, "hopecloud");
    assert.equal(letter?.record.reason, "invalid_record");
    assert.match(String(letter?.record.details), /^startTime: expected yyyy-MM-dd HH:mm:ss/);
    assert.equal(JSON.parse(String(letter?.record.payload)).startTime, "yesterday");
  } finally {
    await connector.stop();
    await f.close();
  }
});

test("connector → Kafka → processor gives the same rows as the one-shot sync; unknown plants are reported", async () => {
  const f = await hopecloudFixture([{ modules: 3 }, { modules: 1 }, { modules: 2 }], { unmapped: 1 });
  const groupId = unique("hc-processor");
  const reports: SyncReport[] = [];
  const processor = await startModuleProcessor(config, f.pool, quiet, {
    groupId,
    onBatch: (r) => reports.push(r),
  });
  // Without site ids the connector polls every plant of the (simulated) cloud, the unmapped one too.
  const connector = await startHopeCloudConnector(config, f.pool, f.client, quiet);
  const unknownPlant = f.sim.plants[2]?.id;
  const ours = (r: SyncReport) => r.per_site.filter((s) => f.siteIds.includes(s.site_id));
  const tally = (key: "created" | "unchanged") => reports.flatMap(ours).reduce((n, s) => n + s[key], 0);
  try {
    const summary = await connector.poll();
    assert.deepEqual([summary.plants, summary.modules], [3, 6]);
    await waitFor("4 modules created", () => (tally("created") === 4 ? true : undefined));
    await waitFor("the unknown plant reported", () =>
      reports.some((r) => r.unknown_plants.some((p) => p.plant_id === unknownPlant && p.modules !== null))
        ? true
        : undefined,
    );
    const viaKafka = await moduleRows(f.pool, f.siteIds);
    assert.equal(viaKafka.length, 4);

    await connector.poll();
    await waitFor("4 modules unchanged", () => (tally("unchanged") === 4 ? true : undefined));
    assert.deepEqual(await moduleRows(f.pool, f.siteIds), viaKafka, "a second snapshot changes nothing");

    await f.pool.query("DELETE FROM communication_modules WHERE site_id = ANY($1)", [f.siteIds]);
    const report = await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    assert.equal(report.created, 4);
    const viaSync = await moduleRows(f.pool, f.siteIds);
    const comparable = (rows: Record<string, unknown>[]) =>
      rows.map(({ id: _id, created_at: _c, updated_at: _u, ...columns }) => columns);
    assert.deepEqual(comparable(viaSync), comparable(viaKafka));

    const runs = await f.pool.query(
      "SELECT count(*)::int AS n FROM job_runs WHERE job = $1 AND summary->'kafka'->>'group_id' = $2",
      [PROCESS_JOB, groupId],
    );
    assert.ok((runs.rows[0]?.n ?? 0) >= 2, "each batch is recorded in job_runs");
  } finally {
    await connector.stop();
    await processor.stop();
    await f.pool.query("DELETE FROM job_runs WHERE job = $1 AND summary->'kafka'->>'group_id' = $2", [
      PROCESS_JOB,
      groupId,
    ]);
    await f.close();
  }
});
