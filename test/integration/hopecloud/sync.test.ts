import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SYNC_JOB, syncCommunicationModules } from "../../../connectors/hopecloud/sync/one-shot.ts";
import { hopecloudFixture, moduleRows } from "./support.ts";

test("sync twice: the first creates every module, the second changes nothing, updated_at included", async () => {
  const f = await hopecloudFixture([{ modules: 2, timeZone: "Asia/Tashkent" }, { modules: 1 }]);
  try {
    const first = await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    assert.deepEqual(
      [first.processed, first.created, first.updated, first.unchanged, first.failed],
      [3, 3, 0, 0, 0],
    );
    assert.deepEqual(
      first.per_site.map((s) => [s.site_id, s.plant_id, s.status, s.created]),
      f.siteIds.map((id, i) => [id, f.sim.plants[i]?.id, "ok", i === 0 ? 2 : 1]),
    );
    const before = await moduleRows(f.pool, f.siteIds);
    assert.equal(before.length, 3);

    const second = await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    assert.deepEqual(
      [second.processed, second.created, second.updated, second.unchanged, second.failed],
      [3, 0, 0, 3, 0],
    );
    assert.ok(second.per_site.every((s) => s.changes.length === 0 && s.unchanged === s.processed));
    assert.deepEqual(await moduleRows(f.pool, f.siteIds), before);

    // The row says what the cloud said: status mapped, local times read in the site's zone.
    const source = f.sim.plants[0]?.modules[0];
    const row = before.find((r) => r.hopecloud_id === source?.id);
    assert.ok(source && row);
    assert.equal(row.site_id, f.siteIds[0]);
    assert.equal(row.serial, source.equipmentPn);
    assert.equal(row.status_code, source.status);
    assert.equal(row.status, { 0: "offline", 1: "online", 2: "fault" }[source.status as number] ?? "unknown");
    const [date, time] = String(source.updateTime).split(" ");
    assert.deepEqual(row.last_update, new Date(`${date}T${time}+05:00`));

    const runs = await f.pool.query(
      "SELECT status, summary->>'unchanged' AS unchanged FROM job_runs WHERE job = $1 AND summary->'site_ids' ?| $2 ORDER BY id",
      [SYNC_JOB, f.siteIds],
    );
    assert.deepEqual(runs.rows, [
      { status: "succeeded", unchanged: "0" },
      { status: "succeeded", unchanged: "3" },
    ]);
  } finally {
    await f.close();
  }
});

test("a module that changed is updated in the changed columns only", async () => {
  const f = await hopecloudFixture([{ modules: 2 }]);
  try {
    await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    const before = await moduleRows(f.pool, f.siteIds);
    const [changed, kept] = f.sim.plants[0]?.modules ?? [];
    assert.ok(changed && kept);
    f.sim.control.updateModule(changed.id, { rssi: 7, status: changed.status === 2 ? 0 : 2 });
    const report = await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    assert.deepEqual([report.updated, report.unchanged], [1, 1]);
    assert.deepEqual(report.per_site[0]?.changes, [
      { module_id: changed.id, outcome: "updated", changed: ["rssi", "status", "status_code"] },
    ]);
    const after = await moduleRows(f.pool, f.siteIds);
    const row = (rows: typeof after, id: string) =>
      rows.find((r) => r.hopecloud_id === id) ?? assert.fail(id);
    assert.equal(row(after, changed.id).rssi, 7);
    assert.ok((row(after, changed.id).updated_at as Date) > (row(before, changed.id).updated_at as Date));
    assert.deepEqual(row(after, kept.id), row(before, kept.id));
  } finally {
    await f.close();
  }
});

test("a site whose modules endpoint fails is reported with its error; the other sites are synced", async () => {
  const f = await hopecloudFixture([{}, { modules: 2 }, {}]);
  try {
    const failing = f.sim.plants[1]?.id ?? "";
    f.sim.control.failPlant(failing);
    const report = await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    assert.deepEqual([report.created, report.failed], [2, 1]);
    assert.deepEqual(
      report.per_site.map((s) => [s.site_id, s.status, s.created, s.failed]),
      [
        [f.siteIds[0], "ok", 1, 0],
        [f.siteIds[1], "failed", 0, 1],
        [f.siteIds[2], "ok", 1, 0],
      ],
    );
    assert.deepEqual(report.errors, [
      {
        site_id: f.siteIds[1],
        plant_id: failing,
        module_id: null,
        stage: "fetch",
        message: "GET /api/divertors: HTTP 500: internal server error (after 2 retries)",
      },
    ]);
    assert.deepEqual(report.per_site[1]?.errors, report.errors);
    const stored = await moduleRows(f.pool, f.siteIds);
    assert.deepEqual([...new Set(stored.map((r) => r.site_id))].sort(), [f.siteIds[0], f.siteIds[2]].sort());
    const run = await f.pool.query(
      "SELECT status FROM job_runs WHERE job = $1 AND summary->'site_ids' ?| $2",
      [SYNC_JOB, f.siteIds],
    );
    assert.deepEqual(run.rows, [{ status: "failed" }]);
  } finally {
    await f.close();
  }
});

test("more modules than fit on a page: every page is fetched", async () => {
  const f = await hopecloudFixture([{ modules: 23 }], { client: { pageSize: 5 } });
  try {
    const report = await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    assert.deepEqual([report.created, report.failed], [23, 0]);
    assert.equal((await moduleRows(f.pool, f.siteIds)).length, 23);
    assert.equal(f.sim.stats.byPath["/api/divertors"], 5);
  } finally {
    await f.close();
  }
});

test("429 with Retry-After is honoured and the sync still completes", async () => {
  const f = await hopecloudFixture([{ modules: 12 }, { modules: 3 }], {
    client: { pageSize: 4 },
    simulator: { rateLimit: { limit: 3, windowMs: 1000 } },
  });
  try {
    const started = performance.now();
    const report = await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    assert.deepEqual([report.created, report.failed], [15, 0]);
    assert.ok(f.sim.stats.rateLimited > 0, "the simulator limited the rate");
    assert.ok(performance.now() - started >= 1000, "the client waited for the next window");
  } finally {
    await f.close();
  }
});

test("an expired token is renewed and the sync goes on", async () => {
  const f = await hopecloudFixture([{}]);
  try {
    await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    assert.equal(f.sim.stats.tokensIssued, 1);
    f.sim.control.expireTokens();
    const report = await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    assert.deepEqual([report.unchanged, report.failed], [1, 0]);
    assert.equal(f.sim.stats.tokensIssued, 2);
    assert.equal(f.sim.stats.unauthorized, 1);
  } finally {
    await f.close();
  }
});

test("a module the database refuses, and a cloud record that fails validation, cost only themselves", async () => {
  const f = await hopecloudFixture([{ modules: 3 }]);
  try {
    await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    const [refused, invalid, fine] = f.sim.plants[0]?.modules ?? [];
    assert.ok(refused && invalid && fine);
    // Stopped before it started: the table's CHECK refuses the row.
    f.sim.control.updateModule(refused.id, {
      startTime: "2024-05-28 22:18:52",
      stopTime: "2024-05-01 00:00:00",
    });
    f.sim.control.updateModule(invalid.id, { latitude: "95.5" });
    f.sim.control.updateModule(fine.id, { rssi: 3 });
    const report = await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    const site = report.per_site[0];
    assert.deepEqual([site?.status, site?.updated, site?.failed], ["partial", 1, 2]);
    assert.deepEqual(
      site?.errors.map((e) => [e.module_id, e.stage]),
      [
        [invalid.id, "validate"],
        [refused.id, "write"],
      ],
    );
    assert.match(site?.errors[0]?.message ?? "", /^latitude: Too big/);
    assert.match(site?.errors[1]?.message ?? "", /communication_modules_check/);
    const rows = await moduleRows(f.pool, f.siteIds);
    assert.equal(rows.find((r) => r.hopecloud_id === fine.id)?.rssi, 3);
    assert.equal(
      rows.find((r) => r.hopecloud_id === refused.id)?.stop_time,
      null,
      "the refused row kept its values",
    );
  } finally {
    await f.close();
  }
});

test("requested sites that do not exist or have no plant are errors; modules the cloud dropped are listed", async () => {
  const f = await hopecloudFixture([{ modules: 2 }]);
  const bare = `${f.siteIds[0]}-bare`;
  try {
    await f.pool.query("INSERT INTO sites (id, name, timezone) VALUES ($1, 'No plant', 'UTC')", [bare]);
    await syncCommunicationModules(f.pool, f.client, { siteIds: f.siteIds });
    const dropped = f.sim.plants[0]?.modules.pop();
    const report = await syncCommunicationModules(f.pool, f.client, {
      siteIds: [...f.siteIds, bare, `${bare}-nope`],
    });
    assert.deepEqual(
      report.errors.map((e) => [e.site_id, e.stage, e.message]),
      [
        [bare, "site", "the site has no hopecloud_plant_id"],
        [`${bare}-nope`, "site", "no such site"],
      ],
    );
    assert.deepEqual(report.per_site[0]?.missing, [dropped?.id]);
    assert.equal(
      (await moduleRows(f.pool, f.siteIds)).length,
      2,
      "a dropped module is reported, not deleted",
    );
  } finally {
    await f.close();
  }
});

test("wattline hopecloud sync --site-ids prints the report", async () => {
  const f = await hopecloudFixture([{ modules: 2 }, {}]);
  try {
    const port = new URL(f.sim.url).port;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["bin/wattline.js", "hopecloud", "sync", "--site-ids", f.siteIds.join(",")],
      {
        cwd: fileURLToPath(new URL("../../..", import.meta.url)),
        env: { ...process.env, WATTLINE_HOPECLOUD_SIMULATOR_PORT: port, WATTLINE_LOG_LEVEL: "warn" },
      },
    );
    const report = JSON.parse(stdout);
    assert.deepEqual([report.created, report.failed, report.per_site.length], [3, 0, 2]);
  } finally {
    await f.close();
  }
});
