import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type pg from "pg";
import { parseRegistryFile } from "../../../pipelines/registry/config-parse.ts";
import type { RegistryFile } from "../../../pipelines/registry/config-schema.ts";
import { ImportError, importRegistry } from "../../../pipelines/registry/import.ts";
import { totals } from "../../../pipelines/registry/import-report.ts";
import { queryBatteryArraySoc, querySystemSoc } from "../../../pipelines/registry/soc-query.ts";
import { unique } from "../../support/stack.ts";
import { sampleYaml } from "../../unit/registry/sample.ts";
import { registryPool, removeSample } from "./support.ts";

let pool: pg.Pool;
const sites: string[] = [];
before(async () => {
  pool = await registryPool();
});
after(async () => {
  for (const site of sites) await removeSample(pool, site);
  await pool.end();
});

function newSite(): string {
  const site = unique("imp");
  sites.push(site);
  return site;
}

function parse(yaml: string): RegistryFile {
  const parsed = parseRegistryFile(yaml, "config.yaml");
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.problems.join("\n"));
  return parsed.file;
}

/** Everything the sample's sites hold, as comparable text. */
async function snapshot(site: string): Promise<string> {
  const { rows } = await pool.query(
    `SELECT jsonb_build_object(
       'sites', (SELECT jsonb_agg(s ORDER BY id) FROM sites s WHERE id IN ($1, $2)),
       'systems', (SELECT jsonb_agg(s ORDER BY id) FROM systems s WHERE site_id IN ($1, $2)),
       'devices', (SELECT jsonb_agg(d ORDER BY device_id) FROM devices d WHERE site_id IN ($1, $2)),
       'inverters', (SELECT jsonb_agg(i ORDER BY i.id) FROM inverters i JOIN systems s ON s.id = i.system_id
                     WHERE s.site_id IN ($1, $2)),
       'cells', (SELECT count(*) FROM cells c JOIN batteries b ON b.id = c.battery_id
                 JOIN battery_packs p ON p.id = b.battery_pack_id JOIN systems s ON s.id = p.system_id
                 WHERE s.site_id IN ($1, $2))) AS snapshot`,
    [site, `${site}-b`],
  );
  return JSON.stringify(rows[0]?.snapshot);
}

test("import: the whole hierarchy is created; a second import changes nothing and says so", async () => {
  const site = newSite();
  const file = parse(sampleYaml(site));
  const first = await importRegistry(pool, file);
  assert.ok(first.items.every((i) => i.outcome === "created"));
  assert.deepEqual(totals(first.items).cells, { created: 16, changed: 0, unchanged: 0 });
  const stored = await snapshot(site);

  const second = await importRegistry(pool, file);
  assert.equal(second.items.length, first.items.length);
  assert.deepEqual(
    second.items.filter((i) => i.outcome !== "unchanged"),
    [],
  );
  assert.equal(await snapshot(site), stored, "nothing was written, not even updated_at");

  const { rows } = await pool.query(
    `SELECT d.device_id, d.timezone, d.expected_interval_s, s.key AS system
       FROM devices d LEFT JOIN systems s ON s.id = d.system_id WHERE d.site_id = ANY($1) ORDER BY d.device_id`,
    [[site, `${site}-b`]],
  );
  assert.deepEqual(
    rows.map((r) => [r.device_id.slice(site.length), r.timezone, r.expected_interval_s, r.system]),
    [
      ["-b-esp", "Asia/Kolkata", 60, "default"],
      ["-bat-1", "Europe/Berlin", 60, "main"],
      ["-esp-1", "UTC", 60, null],
      ["-grid", "Europe/Berlin", 10, "main"],
      ["-inv-1", "Europe/Berlin", 60, "main"],
      ["-inv-2", "Europe/Berlin", 60, "main"],
    ],
  );
});

test("import: a changed file changes exactly what changed, and a dropped field goes back to its default", async () => {
  const site = newSite();
  const yaml = sampleYaml(site);
  await importRegistry(pool, parse(yaml));
  const edited = yaml
    .replace("max_power_w: 6600", "max_power_w: 7000")
    .replace("        expected_interval_s: 10\n", "")
    .replace("unit_id: 1", "unit_id: 2");
  const report = await importRegistry(pool, parse(edited));
  assert.deepEqual(
    report.items.filter((i) => i.outcome !== "unchanged"),
    [
      { table: "devices", label: `${site}-inv-1`, outcome: "changed", changed: ["max_power_w"] },
      { table: "devices", label: `${site}-grid`, outcome: "changed", changed: ["expected_interval_s"] },
      { table: "adapters", label: `${site}/main/rtu0`, outcome: "changed", changed: ["config"] },
    ],
  );
  const { rows } = await pool.query("SELECT expected_interval_s FROM devices WHERE device_id = $1", [
    `${site}-grid`,
  ]);
  assert.equal(rows[0]?.expected_interval_s, 60);
});

test("import: a dry run reports what it would do and writes nothing", async () => {
  const site = newSite();
  const report = await importRegistry(pool, parse(sampleYaml(site)), { dryRun: true });
  assert.equal(report.dryRun, true);
  assert.ok(report.items.length > 0 && report.items.every((i) => i.outcome === "created"));
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM sites WHERE id = ANY($1)", [
    [site, `${site}-b`],
  ]);
  assert.equal(rows[0]?.n, 0);
});

test("import: a failure part-way leaves the database as it was", async () => {
  const owner = newSite();
  const plant = `plant-${owner}`;
  const withPlant = (yaml: string, site: string) =>
    yaml.replace(
      `  - id: ${site}-b\n    name: Pune office\n`,
      `  - id: ${site}-b\n    name: Pune office\n    hopecloud_plant_id: "${plant}"\n`,
    );
  await importRegistry(pool, parse(withPlant(sampleYaml(owner), owner)));
  const before = await snapshot(owner);

  // The second file's first site is new; its second site claims the plant the first file's site holds.
  const site = newSite();
  await assert.rejects(importRegistry(pool, parse(withPlant(sampleYaml(site), site))), (e: Error) => {
    assert.ok(e instanceof ImportError);
    assert.match(e.message, new RegExp(`^sites ${site}-b: duplicate key value .*hopecloud_plant_id`));
    return true;
  });
  const { rows } = await pool.query(
    `SELECT (SELECT count(*) FROM sites WHERE id = ANY($1))::int AS sites,
            (SELECT count(*) FROM devices WHERE site_id = ANY($1))::int AS devices,
            (SELECT count(*) FROM adapter_types WHERE key = $2)::int AS adapter_types`,
    [[site, `${site}-b`], `${site}-modbus`],
  );
  assert.deepEqual(rows[0], { sites: 0, devices: 0, adapter_types: 0 });
  assert.equal(await snapshot(owner), before);
});

test("import: two inverters can swap their devices in one import", async () => {
  const site = newSite();
  const yaml = sampleYaml(site);
  await importRegistry(pool, parse(yaml));
  const swapped = yaml
    .replace(`device_id: ${site}-inv-1`, "device_id: SWAP")
    .replace(`device_id: ${site}-inv-2`, `device_id: ${site}-inv-1`)
    .replace("device_id: SWAP", `device_id: ${site}-inv-2`);
  const report = await importRegistry(pool, parse(swapped));
  assert.deepEqual(
    report.items.filter((i) => i.outcome === "changed").map((i) => [i.label, i.changed]),
    [
      [`${site}/main/inv1`, ["device_id"]],
      [`${site}/main/inv2`, ["device_id"]],
    ],
  );
});

test("soc: the query helpers apply the pack-first rule to what the stream stored", async () => {
  const site = newSite();
  await importRegistry(pool, parse(sampleYaml(site)));
  const ids = await pool.query<{ system_id: string; bank_id: string }>(
    `SELECT s.id AS system_id, b.id AS bank_id FROM systems s JOIN battery_arrays b ON b.system_id = s.id
      WHERE s.site_id = $1 AND s.key = 'main'`,
    [site],
  );
  const { system_id, bank_id } = ids.rows[0] ?? { system_id: "", bank_id: "" };
  const setSoc = (table: string, key: string, soc: number | null) =>
    pool.query(
      `UPDATE ${table} SET soc_pct = $3, soc_observed_at = now() WHERE system_id = $1 AND key = $2`,
      [system_id, key, soc],
    );
  await setSoc("inverters", "inv1", 30);
  await setSoc("inverters", "inv2", 50);
  assert.deepEqual(await querySystemSoc(pool, system_id), {
    soc_pct: 40,
    known: 2,
    of: 2,
    source: "inverters",
  });
  await setSoc("battery_packs", "pack1", 80);
  assert.deepEqual(await querySystemSoc(pool, system_id), { soc_pct: 80, known: 1, of: 2, source: "packs" });
  await setSoc("battery_packs", "pack2", 70);
  assert.deepEqual(await queryBatteryArraySoc(pool, bank_id), { soc_pct: 75, known: 2, of: 2 });
});
