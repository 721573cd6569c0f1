// Sites, devices and the hierarchy through the API, and the /now views with SOC and connectivity.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Harness, harness, tablesIntact } from "./support.ts";

let h: Harness;
before(async () => {
  h = await harness("registry");
});
after(() => h.close());

type Body = Record<string, unknown>;
const ok = async (p: Promise<{ status: number; body: Body }>, status = 200): Promise<Body> => {
  const res = await p;
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
};
const issuePaths = (body: Body) =>
  ((body.error as { details: { issues: { path: string }[] } }).details.issues ?? []).map((i) => i.path);

test("sites: create, validation, conflicts, update, pagination; SQL in values is stored as text", async () => {
  const id = `${h.tag}-s1`;
  const created = await ok(
    h.call("POST", "/api/v1/sites", {
      role: "operator",
      body: { id, name: '"; DROP TABLE sites; --', timezone: "Europe/Berlin", latitude: 52.5 },
    }),
    201,
  );
  assert.equal(created.name, '"; DROP TABLE sites; --');
  assert.equal(created.emission_factor_kg_per_kwh, 0.5);
  assert.match(created.created_at as string, /Z$/);
  assert.ok(await tablesIntact(h.pool));

  const dup = await h.call("POST", "/api/v1/sites", { body: { id, name: "x", timezone: "UTC" } });
  assert.equal(dup.status, 409);
  assert.equal((dup.body.error as Body).code, "conflict");

  const bad = await h.call("POST", "/api/v1/sites", {
    body: { id: "' OR 1=1 --", name: "", timezone: "Mars/Olympus", latitude: 91 },
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(issuePaths(bad.body).sort(), ["body.id", "body.latitude", "body.name", "body.timezone"]);

  const patched = await ok(
    h.call("PATCH", `/api/v1/sites/${id}`, { body: { latitude: null, timezone: "Asia/Kolkata" } }),
  );
  assert.equal(patched.latitude, null);
  assert.equal(patched.timezone, "Asia/Kolkata");
  assert.equal((await h.call("PATCH", `/api/v1/sites/${id}`, { body: { id: "renamed" } })).status, 400);
  assert.equal((await h.call("PATCH", `/api/v1/sites/${h.tag}-none`, { body: { name: "n" } })).status, 404);

  for (const n of [2, 3, 4]) {
    await ok(
      h.call("POST", "/api/v1/sites", { body: { id: `${h.tag}-s${n}`, name: `S${n}`, timezone: "UTC" } }),
      201,
    );
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? "limit=2" : `limit=2&cursor=${cursor}`;
    const page = await ok(h.call("GET", `/api/v1/sites?${query}`, { role: "viewer" }));
    const items = page.items as { id: string }[];
    assert.ok(items.length <= 2);
    seen.push(...items.map((s) => s.id).filter((s) => s.startsWith(h.tag)));
    cursor = page.next_cursor as string | null;
  } while (cursor !== null);
  assert.deepEqual(
    seen,
    [1, 2, 3, 4].map((n) => `${h.tag}-s${n}`),
  );
});

test("hierarchy: CRUD of every level, attachments, references, and the /now views", async () => {
  const site = `${h.tag}-h`;
  await ok(
    h.call("POST", "/api/v1/sites", { body: { id: site, name: "H", timezone: "Europe/Berlin" } }),
    201,
  );
  const system = await ok(
    h.call("POST", "/api/v1/systems", { body: { site_id: site, key: "main", name: "Main" } }),
    201,
  );
  const systemId = system.id as number;
  assert.equal(
    (await h.call("POST", "/api/v1/systems", { body: { site_id: site, key: "main" } })).status,
    409,
  );
  const orphan = await h.call("POST", "/api/v1/systems", { body: { site_id: `${h.tag}-nowhere`, key: "x" } });
  assert.equal(orphan.status, 400);
  assert.equal((orphan.body.error as Body).code, "invalid_reference");

  const dev = (suffix: string, kind: string) =>
    ok(
      h.call("POST", "/api/v1/devices", {
        body: { device_id: `${h.tag}-${suffix}`, site_id: site, kind, system_id: systemId },
      }),
      201,
    );
  await dev("inv1", "inverter");
  await dev("bat1", "battery");
  await dev("grid", "meter");

  const array = await ok(
    h.call("POST", "/api/v1/inverter-arrays", { body: { system_id: systemId, key: "ground" } }),
    201,
  );
  const arrayId = array.id as number;
  const inverter = await ok(
    h.call("POST", "/api/v1/inverters", {
      body: {
        system_id: systemId,
        inverter_array_id: arrayId,
        key: "inv1",
        rated_power_w: 6000,
        device_id: `${h.tag}-inv1`,
      },
    }),
    201,
  );
  const bank = await ok(
    h.call("POST", "/api/v1/battery-arrays", {
      body: { system_id: systemId, key: "bank", attached_to: [arrayId] },
    }),
    201,
  );
  assert.deepEqual(bank.attached_to, [arrayId]);
  const bankId = bank.id as number;
  assert.deepEqual(
    (await ok(h.call("PATCH", `/api/v1/battery-arrays/${bankId}`, { body: { attached_to: [] } })))
      .attached_to,
    [],
  );
  await ok(
    h.call("PATCH", `/api/v1/battery-arrays/${bankId}`, { body: { attached_to: [arrayId, arrayId] } }),
  );

  const pack1 = await ok(
    h.call("POST", "/api/v1/battery-packs", {
      body: {
        system_id: systemId,
        battery_array_id: bankId,
        key: "p1",
        capacity_kwh: 10,
        device_id: `${h.tag}-bat1`,
      },
    }),
    201,
  );
  const pack2 = await ok(
    h.call("POST", "/api/v1/battery-packs", {
      body: { system_id: systemId, battery_array_id: bankId, key: "p2" },
    }),
    201,
  );
  const meter = await ok(
    h.call("POST", "/api/v1/meters", {
      body: {
        system_id: systemId,
        key: "grid",
        role: "grid",
        inverter_array_id: arrayId,
        device_id: `${h.tag}-grid`,
      },
    }),
    201,
  );
  assert.equal(
    (await h.call("POST", "/api/v1/meters", { body: { system_id: systemId, key: "m2", role: "solar" } }))
      .status,
    400,
  );

  // Another system's array cannot be attached: the composite foreign key refuses it.
  const other = await ok(h.call("POST", "/api/v1/systems", { body: { site_id: site, key: "other" } }), 201);
  const otherArray = await ok(
    h.call("POST", "/api/v1/inverter-arrays", { body: { system_id: other.id, key: "a" } }),
    201,
  );
  const cross = await h.call("PATCH", `/api/v1/battery-arrays/${bankId}`, {
    body: { attached_to: [otherArray.id] },
  });
  assert.equal(cross.status, 400);
  assert.deepEqual(
    (await ok(h.call("GET", `/api/v1/battery-arrays/${bankId}`))).attached_to,
    [arrayId],
    "rolled back",
  );

  await h.pool.query("UPDATE battery_packs SET soc_pct = $2, soc_observed_at = now() WHERE id = $1", [
    pack1.id,
    80,
  ]);
  await h.pool.query("UPDATE battery_packs SET soc_pct = $2, soc_observed_at = now() WHERE id = $1", [
    pack2.id,
    60,
  ]);
  await h.pool.query("UPDATE inverters SET soc_pct = 50, soc_observed_at = now() WHERE id = $1", [
    inverter.id,
  ]);
  await h.pool.query(
    `INSERT INTO device_status (device_id, status, last_seen, changed_at, reason)
     VALUES ($1, 'online', now(), now(), 'message'), ($2, 'offline', now(), now(), 'last_will')`,
    [`${h.tag}-inv1`, `${h.tag}-grid`],
  );

  const sysNow = await ok(h.call("GET", `/api/v1/systems/${systemId}/now`, { role: "viewer" }));
  assert.deepEqual(sysNow.battery_soc, { soc_pct: 70, known: 2, of: 2, source: "packs" });
  assert.deepEqual(sysNow.devices, { total: 3, online: 1, offline: 1, unknown: 1 });
  assert.deepEqual(sysNow.inverter_arrays, [{ id: arrayId, key: "ground", name: null, inverters: 1 }]);
  assert.equal((sysNow.battery_arrays as { soc: { soc_pct: number } }[])[0]?.soc.soc_pct, 70);
  const sysMeter = (sysNow.meters as { device: { connectivity: { status: string; reason: string } } }[])[0];
  assert.equal(sysMeter?.device.connectivity.status, "offline");
  assert.equal(sysMeter?.device.connectivity.reason, "last_will");

  const arrNow = await ok(h.call("GET", `/api/v1/inverter-arrays/${arrayId}/now`));
  assert.deepEqual(arrNow.battery_soc, { soc_pct: 70, known: 2, of: 2, source: "packs" });
  const arrInverter = (
    arrNow.inverters as { soc_pct: number; device: { connectivity: { status: string } } }[]
  )[0];
  assert.equal(arrInverter?.device.connectivity.status, "online");
  assert.equal(arrInverter?.soc_pct, 50);
  assert.equal((arrNow.meters as unknown[]).length, 1);

  const invNow = await ok(h.call("GET", `/api/v1/inverters/${inverter.id}/now`));
  assert.deepEqual(invNow.battery_soc, { soc_pct: 50, known: 1, of: 1 });
  assert.equal((invNow.device as { device_id: string }).device_id, `${h.tag}-inv1`);

  const bankNow = await ok(h.call("GET", `/api/v1/battery-arrays/${bankId}/now`));
  assert.deepEqual(bankNow.soc, { soc_pct: 70, known: 2, of: 2 });
  assert.equal((bankNow.packs as { device: unknown }[])[1]?.device, null, "p2 has no device");

  const packNow = await ok(h.call("GET", `/api/v1/battery-packs/${pack1.id}/now`));
  assert.deepEqual(packNow.soc, { soc_pct: 80, known: 1, of: 1 });
  assert.equal((packNow.device as { connectivity: { status: string } }).connectivity.status, "unknown");
  assert.deepEqual(packNow.batteries, []);

  const meterNow = await ok(h.call("GET", `/api/v1/meters/${meter.id}/now`));
  assert.equal((meterNow.meter as { role: string }).role, "grid");
  assert.equal((meterNow.device as { connectivity: { status: string } }).connectivity.status, "offline");

  // A pack SOC two hours old speaks for no one when the limit is a minute: the inverters' view takes over.
  await h.pool.query(
    "UPDATE battery_packs SET soc_observed_at = now() - interval '2 hours' WHERE battery_array_id = $1",
    [bankId],
  );
  const strict = h.makeApp({ socMaxAgeS: 60 });
  const stale = await strict.request(`/api/v1/systems/${systemId}/now`, {
    headers: { Authorization: `Bearer ${h.keys.viewer}` },
  });
  const staleBody = (await stale.json()) as { battery_soc: unknown };
  assert.deepEqual(staleBody.battery_soc, { soc_pct: 50, known: 1, of: 1, source: "inverters" });

  const filtered = await ok(
    h.call("GET", `/api/v1/inverters?system_id=${systemId}&inverter_array_id=${arrayId}`),
  );
  assert.equal((filtered.items as unknown[]).length, 1);
  assert.equal(
    ((await ok(h.call("GET", `/api/v1/battery-packs?battery_array_id=${bankId}`))) as { items: unknown[] })
      .items.length,
    2,
  );
  assert.equal(
    ((await ok(h.call("GET", `/api/v1/meters?system_id=${systemId}&role=grid`))) as { items: unknown[] })
      .items.length,
    1,
  );

  const renamed = await ok(
    h.call("PATCH", `/api/v1/inverters/${inverter.id}`, { body: { name: "Powdrive", rated_power_w: null } }),
  );
  assert.equal(renamed.name, "Powdrive");
  assert.equal(renamed.rated_power_w, null);
  assert.deepEqual(await ok(h.call("DELETE", `/api/v1/inverters/${inverter.id}`)), { deleted: inverter.id });
  assert.equal((await h.call("GET", `/api/v1/inverters/${inverter.id}`)).status, 404);
  assert.equal((await h.call("DELETE", `/api/v1/inverters/${inverter.id}`)).status, 404);
  await ok(h.call("DELETE", `/api/v1/systems/${systemId}`));
  assert.equal((await h.call("GET", `/api/v1/battery-packs/${pack1.id}`)).status, 404, "cascaded");
  const orphaned = await ok(h.call("GET", `/api/v1/devices/${h.tag}-inv1`));
  assert.equal(orphaned.system_id, null, "the device stays, without a system");
});

test("devices: filters, settings validation, connectivity, ids with reserved URL characters", async () => {
  const site = `${h.tag}-d`;
  await ok(h.call("POST", "/api/v1/sites", { body: { id: site, name: "D", timezone: "UTC" } }), 201);
  const odd = `${h.tag}-a/b?c#d`;
  const created = await ok(
    h.call("POST", "/api/v1/devices", {
      body: { device_id: odd, site_id: site, kind: "classroom", group_name: "7a" },
    }),
    201,
  );
  assert.deepEqual(
    { ...(created as Body), updated_at: null },
    {
      device_id: odd,
      site_id: site,
      system_id: null,
      group_name: "7a",
      kind: "classroom",
      timezone: "UTC",
      max_power_w: null,
      noise_wh: 1,
      counter_persists_across_boot: false,
      expected_interval_s: 60,
      updated_at: null,
      connectivity: { status: "unknown", last_seen: null, changed_at: null, reason: null },
    },
  );
  const path = `/api/v1/devices/${encodeURIComponent(odd)}`;
  assert.equal((await ok(h.call("GET", path))).device_id, odd);
  await ok(
    h.call("POST", "/api/v1/devices", { body: { device_id: `${h.tag}-m`, site_id: site, kind: "meter" } }),
    201,
  );

  const bad = await h.call("PATCH", path, {
    body: { timezone: "Europe/Atlantis", expected_interval_s: 0, noise_wh: -1 },
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(issuePaths(bad.body).sort(), [
    "body.expected_interval_s",
    "body.noise_wh",
    "body.timezone",
  ]);
  const set = await ok(
    h.call("PATCH", path, {
      body: {
        timezone: "Asia/Kolkata",
        max_power_w: 3000,
        noise_wh: 0.5,
        counter_persists_across_boot: true,
        expected_interval_s: 10,
      },
    }),
  );
  assert.equal(set.timezone, "Asia/Kolkata");
  assert.equal(set.max_power_w, 3000);
  assert.equal((await ok(h.call("PATCH", path, { body: { max_power_w: null } }))).max_power_w, null);
  const foreignSystem = await h.call("PATCH", path, { body: { system_id: 999999999 } });
  assert.equal(foreignSystem.status, 400);

  const bySite = await ok(h.call("GET", `/api/v1/devices?site_id=${site}`));
  assert.equal((bySite.items as unknown[]).length, 2);
  const byKind = await ok(h.call("GET", `/api/v1/devices?site_id=${site}&kind=meter`));
  assert.deepEqual(
    (byKind.items as { device_id: string }[]).map((d) => d.device_id),
    [`${h.tag}-m`],
  );
  assert.equal((await h.call("GET", `/api/v1/devices?kind=toaster`)).status, 400);
  assert.equal(
    (
      await h.call("POST", "/api/v1/devices", {
        body: { device_id: "has space", site_id: site, kind: "meter" },
      })
    ).status,
    400,
  );
});
