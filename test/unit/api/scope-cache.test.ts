// The energy-group cache against a stand-in registry that counts its reads: a group is reused within the TTL and
// read again after it, concurrent requests share one read, and an unknown node is a 404 each time, never kept.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Db } from "../../../api/db.ts";
import { cachedScopeResolver } from "../../../api/energy/scope-cache.ts";
import { ApiError } from "../../../api/errors.ts";

/** A registry with one site, "s1", of two devices. */
function registry() {
  const state = { reads: 0, devices: ["d1", "d2"] };
  const db = {
    query: async ({ text, values }: { text: string; values: unknown[] }) => {
      state.reads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (values[0] !== "s1") return { rows: [] };
      if (text.startsWith("SELECT timezone FROM sites")) return { rows: [{ timezone: "Europe/Berlin" }] };
      return { rows: state.devices.map((device_id) => ({ device_id })) };
    },
  } as unknown as Db;
  return { db, state };
}

test("scope cache: a group is reused within the TTL, concurrent requests share one read", async () => {
  const { db, state } = registry();
  const resolve = cachedScopeResolver(db, 60_000);
  const groups = await Promise.all(Array.from({ length: 5 }, () => resolve("site", "s1")));
  for (const g of groups)
    assert.deepEqual(g, { site_id: "s1", timezone: "Europe/Berlin", devices: ["d1", "d2"] });
  await resolve("site", "s1");
  assert.equal(state.reads, 2, "one site read and one device read");
});

test("scope cache: a registry change is seen after the TTL; TTL 0 reads every time", async () => {
  const { db, state } = registry();
  const resolve = cachedScopeResolver(db, 20);
  await resolve("site", "s1");
  state.devices.push("d3");
  assert.equal((await resolve("site", "s1")).devices.length, 2);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal((await resolve("site", "s1")).devices.length, 3);
  const uncached = registry();
  const always = cachedScopeResolver(uncached.db, 0);
  await always("site", "s1");
  await always("site", "s1");
  assert.equal(uncached.state.reads, 4);
});

test("scope cache: an unknown node is a 404 each time and is never kept", async () => {
  const { db, state } = registry();
  const resolve = cachedScopeResolver(db, 60_000);
  for (let i = 0; i < 2; i++)
    await assert.rejects(resolve("site", "nope"), (err) => err instanceof ApiError && err.status === 404);
  assert.equal(state.reads, 2);
});
