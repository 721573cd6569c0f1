// `npm start`'s simulated fleet registered as a full hierarchy on the real registry: one system per site with its
// inverter arrays, inverters, battery array and packs, meters; every device under its system and measured by its
// node; the /now view of a system counting them; and a second registration changing nothing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type pg from "pg";
import { createApp } from "../../../api/app.ts";
import { createApiKey } from "../../../api/auth/keys.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { createLogger } from "../../../ground/logger.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { registerTestFleet, removeFleet } from "../../support/fleet.ts";
import { config, unique } from "../../support/stack.ts";
import { registryPool } from "./support.ts";

let pool: pg.Pool;
const prefix = unique("fleet").replace(/_/g, "-");

before(async () => {
  pool = await registryPool();
});

after(async () => {
  await removeFleet(pool, prefix);
  await pool.query("DELETE FROM api_keys WHERE name = $1", [prefix]);
  await pool.end();
});

const count = async (sql: string, params: unknown[]) =>
  (await pool.query<{ n: number }>(`SELECT count(*)::int AS n ${sql}`, params)).rows[0]?.n;

test("every site gets a system with arrays, inverters, packs and meters, each measured by its device", async () => {
  const fleet = await registerTestFleet(pool, prefix, { devices: 40 });
  assert.deepEqual({ devices: fleet.devices, systems: fleet.systems }, { devices: 40, systems: 2 });
  const site = `${prefix}-site-%`;
  const kinds = (k: string) => fleet.entries.filter((e) => e.kind === k).length;
  const inSystem = "FROM %s x JOIN systems s ON s.id = x.system_id WHERE s.site_id LIKE $1";
  assert.equal(await count("FROM systems WHERE site_id LIKE $1", [site]), 2);
  assert.equal(await count(inSystem.replace("%s", "inverter_arrays"), [site]), 4);
  assert.equal(
    await count(`${inSystem.replace("%s", "inverters")} AND x.device_id IS NOT NULL`, [site]),
    kinds("inverter"),
  );
  assert.equal(await count(inSystem.replace("%s", "battery_arrays"), [site]), 2);
  assert.equal(
    await count(`${inSystem.replace("%s", "battery_packs")} AND x.device_id IS NOT NULL`, [site]),
    kinds("battery"),
  );
  assert.equal(
    await count(`${inSystem.replace("%s", "meters")} AND x.device_id IS NOT NULL`, [site]),
    kinds("meter"),
  );
  assert.equal(
    await count(
      "FROM meters x JOIN systems s ON s.id = x.system_id WHERE s.site_id LIKE $1 AND role = 'grid'",
      [site],
    ),
    2,
  );
  assert.equal(await count("FROM devices WHERE site_id LIKE $1 AND system_id IS NOT NULL", [site]), 40);
  assert.equal(
    await count("FROM devices WHERE site_id LIKE $1 AND kind = 'classroom' AND group_name IS NOT NULL", [
      site,
    ]),
    kinds("classroom"),
  );

  const { rows } = await pool.query<{ id: number }>(
    "SELECT id FROM systems WHERE site_id LIKE $1 ORDER BY id",
    [site],
  );
  const questdb = questdbPool(config, 1);
  try {
    const key = await createApiKey(pool, prefix, "viewer");
    const app = createApp({
      kafka: createKafka(config),
      questdb,
      postgres: pool,
      mqttConnected: () => true,
      logger: createLogger("api", "silent"),
    });
    const res = await app.request(`/api/v1/systems/${rows[0]?.id}/now`, {
      headers: { Authorization: `Bearer ${key.key}` },
    });
    assert.equal(res.status, 200);
    const now = (await res.json()) as {
      system: { site_id: string };
      devices: { total: number };
      inverter_arrays: { inverters: number }[];
      meters: { device: { device_id: string } | null }[];
    };
    const own = fleet.entries.filter((e) => e.site_id === now.system.site_id);
    assert.equal(now.devices.total, own.length, "every device of the site counts in its system");
    assert.equal(
      now.inverter_arrays.reduce((n, a) => n + Number(a.inverters), 0),
      own.filter((e) => e.kind === "inverter").length,
    );
    assert.deepEqual(
      now.meters.map((m) => m.device?.device_id).sort(),
      own
        .filter((e) => e.kind === "meter")
        .map((e) => e.device_id)
        .sort(),
    );
  } finally {
    await questdb.end();
  }
});

test("registering the same fleet again changes nothing", async () => {
  const stamp = () =>
    pool.query("SELECT max(updated_at) AS t FROM devices WHERE site_id LIKE $1", [`${prefix}-site-%`]);
  const before = (await stamp()).rows[0]?.t;
  await registerTestFleet(pool, prefix, { devices: 40 });
  assert.deepEqual((await stamp()).rows[0]?.t, before);
});
