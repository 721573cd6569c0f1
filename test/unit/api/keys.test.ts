import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { generateKey, hashKey } from "../../../api/auth/keys.ts";
import { hasRole, ROLES } from "../../../api/auth/roles.ts";

test("keys: wl_ + 12 base62 (the public prefix) + _ + 256 random bits; never the same twice", () => {
  const made = Array.from({ length: 200 }, generateKey);
  for (const { key, prefix } of made) {
    assert.match(key, /^wl_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    assert.equal(key.slice(0, 15), prefix);
    assert.equal(Buffer.from(key.slice(16), "base64url").length, 32);
  }
  assert.equal(new Set(made.map((m) => m.key)).size, made.length);
  assert.equal(new Set(made.map((m) => m.prefix)).size, made.length);
});

test("keys: the stored form is the SHA-256 of the whole key, hex", () => {
  const { key } = generateKey();
  assert.equal(hashKey(key), createHash("sha256").update(key).digest("hex"));
  assert.match(hashKey(key), /^[0-9a-f]{64}$/);
});

test("roles nest: admin ⊃ operator ⊃ viewer", () => {
  const table = ROLES.map((held) => ROLES.map((needed) => hasRole(held, needed)));
  assert.deepEqual(table, [
    [true, false, false],
    [true, true, false],
    [true, true, true],
  ]);
});
