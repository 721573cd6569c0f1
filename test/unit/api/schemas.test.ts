import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "../../../api/errors.ts";
import { DbId } from "../../../api/openapi/route.ts";
import {
  decodeCursor,
  ExternalId,
  encodeCursor,
  RegistryKey,
  Timestamp,
  Timezone,
  toPage,
} from "../../../api/schemas.ts";

test("cursors round-trip their sort key and refuse anything else", () => {
  assert.equal(decodeCursor(encodeCursor(42), "number"), 42);
  assert.equal(decodeCursor(encodeCursor("site-b"), "string"), "site-b");
  assert.equal(decodeCursor(undefined, "number"), undefined);
  for (const [cursor, kind] of [
    [encodeCursor("42"), "number"],
    [encodeCursor(1.5), "number"],
    [encodeCursor(7), "string"],
    ["' OR 1=1 --", "string"],
    [Buffer.from("[1,2]").toString("base64url"), "number"],
  ] as const) {
    assert.throws(
      () => decodeCursor(cursor, kind),
      (e: unknown) => e instanceof ApiError && e.status === 400,
    );
  }
});

test("a page is the first limit rows, with a cursor only when the query found more", () => {
  const rows = [{ id: 1 }, { id: 2 }, { id: 3 }];
  const full = toPage(rows, 2, (r) => r.id);
  assert.deepEqual(full.items, [{ id: 1 }, { id: 2 }]);
  assert.equal(decodeCursor(full.next_cursor ?? undefined, "number"), 2);
  assert.deepEqual(toPage(rows, 3, (r) => r.id).next_cursor, null);
  assert.deepEqual(
    toPage([], 3, (r: { id: number }) => r.id),
    { items: [], next_cursor: null },
  );
});

test("ids, keys, zones and instants are checked before any SQL sees them", () => {
  assert.equal(DbId.parse("42"), 42);
  for (const bad of ["0", "-1", "01", "1.5", "1e3", " 1", "1 OR 1=1", "9999999999999999"]) {
    assert.equal(DbId.safeParse(bad).success, false, bad);
  }
  assert.ok(RegistryKey.safeParse("berlin-school.main:1").success);
  for (const bad of ["", "-x", "a b", "' OR 1=1 --", "x".repeat(129)])
    assert.equal(RegistryKey.safeParse(bad).success, false, bad);
  assert.ok(ExternalId.safeParse("dev/1?x#y").success);
  assert.equal(ExternalId.safeParse("has space").success, false);
  for (const zone of ["UTC", "Europe/Berlin", "Asia/Kolkata"])
    assert.ok(Timezone.safeParse(zone).success, zone);
  for (const zone of ["Mars/Olympus", "", "'; DROP TABLE sites; --"])
    assert.equal(Timezone.safeParse(zone).success, false, zone);
  assert.ok(Timestamp.safeParse("2024-11-01T00:00:00+05:30").success);
  assert.equal(Timestamp.safeParse("2024-11-01T00:00:00").success, false, "no offset");
});
