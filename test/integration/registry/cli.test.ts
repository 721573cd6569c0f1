import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type pg from "pg";
import { unique } from "../../support/stack.ts";
import { lineOf, sampleYaml } from "../../unit/registry/sample.ts";
import { registryPool, removeSample } from "./support.ts";

const root = new URL("../../../", import.meta.url).pathname;

function wattline(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/wattline.js", ...args], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

let pool: pg.Pool;
let dir: string;
const site = unique("cli");
before(async () => {
  pool = await registryPool();
  dir = await mkdtemp(join(tmpdir(), "wattline-registry-"));
});
after(async () => {
  await removeSample(pool, site);
  await pool.query("DELETE FROM job_runs WHERE job = 'registry.import' AND summary->>'file' LIKE $1", [
    `${dir}%`,
  ]);
  await pool.end();
  await rm(dir, { recursive: true, force: true });
});

test("wattline import: a YAML syntax error exits 2 naming file:line:column; nothing is written", async () => {
  const file = join(dir, "syntax.yaml");
  const yaml = sampleYaml(site).replace("    timezone: Europe/Berlin", "    timezone: Europe/Berlin: x");
  await writeFile(file, yaml);
  const { code, stdout, stderr } = await wattline("import", file);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  const line = lineOf(yaml, "timezone: Europe/Berlin: x");
  assert.match(
    stderr,
    new RegExp(`^${file}:${line}:15: Nested mappings are not allowed in compact mappings\n`),
  );
  assert.match(stderr, /nothing was imported\n$/);
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM sites WHERE id = $1", [site]);
  assert.equal(rows[0]?.n, 0);
});

test("wattline import: a schema error names its path and line", async () => {
  const file = join(dir, "schema.yaml");
  const yaml = sampleYaml(site).replace("capacity_kwh: 10.24", "capacity_kwh: 0");
  await writeFile(file, yaml);
  const { code, stderr } = await wattline("import", file);
  assert.equal(code, 2);
  const line = lineOf(yaml, "capacity_kwh: 0");
  assert.match(
    stderr,
    new RegExp(`^${file}:${line}:27: sites\\[0\\]\\.systems\\[0\\]\\.battery_packs\\[0\\]\\.capacity_kwh: `),
  );
});

test("wattline import --json: imports, records the job run, and a second run reports everything unchanged", async () => {
  const file = join(dir, "good.yaml");
  await writeFile(file, sampleYaml(site));
  const first = await wattline("import", file, "--json");
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout).totals.sites, { created: 2, changed: 0, unchanged: 0 });
  const second = await wattline("import", file, "--json");
  const report = JSON.parse(second.stdout);
  assert.equal(report.dry_run, false);
  assert.ok(report.items.every((i: { outcome: string }) => i.outcome === "unchanged"));
  const { rows } = await pool.query(
    "SELECT status, summary FROM job_runs WHERE job = 'registry.import' AND summary->>'file' = $1 ORDER BY id",
    [file],
  );
  assert.deepEqual(
    rows.map((r) => [r.status, r.summary.totals.devices]),
    [
      ["succeeded", { created: 6, changed: 0, unchanged: 0 }],
      ["succeeded", { created: 0, changed: 0, unchanged: 6 }],
    ],
  );
});
