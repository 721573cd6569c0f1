import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { z } from "zod";
import { PATHS } from "../../../connectors/hopecloud/api/paths.ts";
import { divertor, page, realtime, token as tokenShape } from "../../../connectors/hopecloud/api/shapes.ts";
import { energyKwh } from "../../../connectors/hopecloud/simulator/energy.ts";
import { buildFleet } from "../../../connectors/hopecloud/simulator/fleet.ts";
import {
  type HopeCloudSimulator,
  startHopeCloudSimulator,
} from "../../../connectors/hopecloud/simulator/server.ts";

const NOW = Date.UTC(2025, 5, 19, 9, 47, 12);
let sim: HopeCloudSimulator;
let token: string;

async function call(path: string, init: RequestInit = {}, bearer: string | null = token) {
  const headers = new Headers(init.headers);
  if (bearer) headers.set("authorization", `Bearer ${bearer}`);
  if (init.body) headers.set("content-type", "application/json");
  const res = await fetch(`${sim.url}${path}`, { ...init, headers });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { code: number; data: unknown },
  };
}

before(async () => {
  sim = await startHopeCloudSimulator({
    seed: 11,
    plants: [{ modules: 7, inverters: 3, timeZone: "Asia/Tashkent" }, {}],
    now: () => NOW,
  });
  const res = await call(
    PATHS.token,
    {
      method: "POST",
      body: JSON.stringify({ appKey: "wattline-sim", appSecret: "wattline-sim-secret" }),
    },
    null,
  );
  token = tokenShape.parse(res.body.data).accessToken;
});
after(() => sim.stop());

test("the same seed draws the same fleet; another seed another one", () => {
  const a = buildFleet(5, [{}, { modules: 3 }]);
  assert.deepEqual(buildFleet(5, [{}, { modules: 3 }]), a);
  assert.notEqual(buildFleet(6, [{}])[0]?.id, a[0]?.id);
  assert.match(a[0]?.id ?? "", /^\d{19}$/);
  assert.equal(a[1]?.modules.length, 3);
  assert.ok(a[1]?.modules.every((m) => m.powerPlantId === a[1]?.id));
});

test("simulated energy never decreases, through nights and DST changes", () => {
  const [plant] = buildFleet(3, [{ timeZone: "Europe/Berlin", inverters: 1 }]);
  const inverter = plant?.inverters[0];
  assert.ok(inverter);
  let last = -1;
  for (let t = Date.UTC(2025, 2, 29); t < Date.UTC(2025, 3, 2); t += 5 * 60_000) {
    const e = energyKwh(inverter, t, "Europe/Berlin");
    assert.ok(e >= last, `energy fell at ${new Date(t).toISOString()}`);
    last = e;
  }
});

test("without a valid token every API request is 401; bad credentials get no token", async () => {
  assert.equal((await call(PATHS.plants, {}, null)).status, 401);
  assert.equal((await call(PATHS.plants, {}, "forged")).status, 401);
  const refused = await call(
    PATHS.token,
    { method: "POST", body: JSON.stringify({ appKey: "x", appSecret: "y" }) },
    null,
  );
  assert.equal(refused.status, 401);
  assert.equal(refused.body.code, 401);
});

test("lists are paged: pageIndex and pageSize in, page {pageIndex, pageSize, total} and records out", async () => {
  const plantId = sim.plants[0]?.id;
  const first = await call(`${PATHS.divertors}?plantId=${plantId}&pageIndex=1&pageSize=5`);
  const second = await call(`${PATHS.divertors}?plantId=${plantId}&pageIndex=2&pageSize=5`);
  assert.equal(first.body.code, 0);
  const firstPage = page.parse(first.body.data);
  assert.deepEqual(firstPage.page, { pageIndex: 1, pageSize: 5, total: 7 });
  assert.equal(firstPage.records.length, 5);
  assert.ok(
    firstPage.records.every((r) => divertor.safeParse(r).success),
    "the documented module shape",
  );
  assert.equal(page.parse(second.body.data).records.length, 2);
  assert.equal((await call(`${PATHS.divertors}?plantId=nope`)).status, 404);
  assert.equal((await call(`${PATHS.divertors}?plantId=${plantId}&pageSize=0`)).status, 400);
});

test("realtime data: the latest 5-minute upload, in kWh, timed in the plant's local time", async () => {
  const plant = sim.plants[0];
  const inverter = plant?.inverters[0];
  assert.ok(plant && inverter);
  const sns = plant.inverters.map((i) => i.sn);
  const res = await call(PATHS.realtime, {
    method: "POST",
    body: JSON.stringify({ snList: [...sns, "unknown"] }),
  });
  const records = z.array(realtime).parse(res.body.data);
  assert.equal(records.length, 3, "unknown serials are left out");
  const first = records[0];
  assert.ok(first);
  assert.equal(first.timestamp, "2025-06-19 14:45:00");
  assert.equal(first.totalKwh, energyKwh(inverter, Date.UTC(2025, 5, 19, 9, 45), "Asia/Tashkent"));
  assert.ok((first.activePower ?? 0) > 0, "it is day in Tashkent");
});

test("faults: a failing plant's modules answer 500, a rate limit answers 429 with Retry-After", async () => {
  const plantId = sim.plants[1]?.id ?? "";
  sim.control.failPlant(plantId);
  assert.equal((await call(`${PATHS.divertors}?plantId=${plantId}`)).status, 500);
  sim.control.failPlant(plantId, false);
  assert.equal((await call(`${PATHS.divertors}?plantId=${plantId}`)).status, 200);

  sim.control.setRateLimit({ limit: 1, windowMs: 60_000 });
  try {
    assert.equal((await call(PATHS.plants)).status, 200);
    const limited = await call(PATHS.plants);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "60");
  } finally {
    sim.control.setRateLimit(undefined);
  }
  sim.control.failNextRequests(1, 502);
  assert.equal((await call(PATHS.plants)).status, 502);
  assert.equal((await call(PATHS.plants)).status, 200);
});
