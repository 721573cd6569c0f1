import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { HopeCloudClient, type HopeCloudClientOptions } from "../../../connectors/hopecloud/client/client.ts";
import { HopeCloudError } from "../../../connectors/hopecloud/client/errors.ts";
import type { RetryEvent } from "../../../connectors/hopecloud/client/transport.ts";
import {
  type HopeCloudSimulator,
  startHopeCloudSimulator,
} from "../../../connectors/hopecloud/simulator/server.ts";

let sim: HopeCloudSimulator;
let clock = Date.UTC(2025, 5, 19, 9, 47);
const retries: RetryEvent[] = [];

function client(o: Partial<HopeCloudClientOptions> = {}): HopeCloudClient {
  return new HopeCloudClient({
    baseUrl: sim.url,
    appKey: "wattline-sim",
    appSecret: "wattline-sim-secret",
    requestsPerSecond: 1000,
    backoff: { baseMs: 10, maxMs: 50 },
    maxRetries: 3,
    onRetry: (e) => retries.push(e),
    ...o,
  });
}

const plantId = (i: number) => sim.plants[i]?.id ?? assert.fail(`no plant ${i}`);

before(async () => {
  sim = await startHopeCloudSimulator({
    seed: 21,
    plants: [{ modules: 23 }, { modules: 1, inverters: 60 }, {}],
    tokenTtlS: 3600,
    now: () => clock,
  });
});
after(() => sim.stop());

test("all pages of a long list are fetched", async () => {
  const c = client({ pageSize: 5 });
  const before = sim.stats.byPath["/api/divertors"] ?? 0;
  const listing = await c.listDivertors(plantId(0));
  assert.equal(listing.records.length, 23);
  assert.equal(new Set(listing.records.map((m) => m.id)).size, 23);
  assert.deepEqual(listing.invalid, []);
  assert.equal((sim.stats.byPath["/api/divertors"] ?? 0) - before, 5);
});

test("realtime is asked for in batches of at most 50 serials", async () => {
  const c = client();
  const equipment = await c.listEquipment(plantId(1));
  const before = sim.stats.byPath["/api/equipment/realtime"] ?? 0;
  const realtime = await c.realtime(equipment.records.map((e) => e.equipmentSn));
  assert.equal(realtime.records.length, 60);
  assert.equal((sim.stats.byPath["/api/equipment/realtime"] ?? 0) - before, 2);
});

test("a revoked token and an expired one each cause one re-authentication", async () => {
  const c = client();
  await c.listPlants();
  const issued = sim.stats.tokensIssued;
  sim.control.expireTokens();
  await c.listPlants();
  assert.equal(sim.stats.tokensIssued, issued + 1, "401 → new token → same request succeeds");
  clock += 3600_000;
  await c.listPlants();
  assert.equal(sim.stats.tokensIssued, issued + 2, "renewed once the lifetime ran out");
});

test("5xx answers are retried with backoff until they pass", async () => {
  const c = client();
  retries.length = 0;
  await c.listPlants(); // authenticated first, so that the failures hit the list request
  sim.control.failNextRequests(2, 503);
  const plants = await c.listPlants();
  assert.equal(plants.records.length, 3);
  assert.deepEqual(
    retries.map((r) => [r.request, r.retry]),
    [
      ["GET /api/plants", 1],
      ["GET /api/plants", 2],
    ],
  );
});

test("429 waits as long as Retry-After says, for every request of the client", async () => {
  const c = client();
  await c.listPlants();
  retries.length = 0;
  sim.control.setRateLimit({ limit: 2, windowMs: 1000 });
  try {
    const started = performance.now();
    const listing = await c.listDivertors(plantId(0));
    assert.equal(listing.records.length, 23);
    await c.listPlants();
    await c.listPlants();
    const waits = retries.filter((r) => r.reason.endsWith("HTTP 429"));
    assert.ok(waits.length >= 1, "was rate limited");
    assert.ok(
      waits.every((r) => r.delayMs === 1000),
      "waited the Retry-After of 1 s",
    );
    assert.ok(performance.now() - started >= 1000);
  } finally {
    sim.control.setRateLimit(undefined);
  }
});

test("a request that outlasts its timeout is retried, then fails as a timeout", async () => {
  const c = client({ timeoutMs: 100, maxRetries: 1 });
  sim.control.delayPlant(plantId(2), 400);
  try {
    await assert.rejects(c.listDivertors(plantId(2)), (e: unknown) => {
      assert.ok(e instanceof HopeCloudError);
      assert.equal(e.kind, "timeout");
      assert.match(e.message, /GET \/api\/divertors: no response within 100 ms \(after 1 retries\)/);
      return true;
    });
  } finally {
    sim.control.delayPlant(plantId(2), 0);
  }
});

test("errors that retrying cannot fix fail at once: wrong credentials, unknown plant", async () => {
  retries.length = 0;
  await assert.rejects(client({ appSecret: "wrong" }).listPlants(), { kind: "auth", status: 401 });
  await assert.rejects(client().listDivertors("no-such-plant"), {
    kind: "http",
    status: 404,
    message: "GET /api/divertors: HTTP 404: plant no-such-plant not found",
  });
  assert.deepEqual(retries, []);
});

test("a closed client aborts what it is waiting for", async () => {
  const c = client({ timeoutMs: 5000 });
  await c.listPlants();
  sim.control.delayPlant(plantId(2), 1000);
  try {
    const pending = c.listDivertors(plantId(2));
    setTimeout(() => c.close(), 50);
    await assert.rejects(pending, { kind: "aborted" });
  } finally {
    sim.control.delayPlant(plantId(2), 0);
  }
});
