// The site-scope helpers (api/auth/scope.ts): which rows a scope sees, which sites it does not cover, and the SQL
// condition it puts on a query (the scope a parameter, never text).
import assert from "node:assert/strict";
import { test } from "node:test";
import { inScope, outsideScope, scopeCondition } from "../../../api/auth/scope.ts";

test("inScope: an unscoped key sees every row, a scoped key only rows of its sites, never a row of no site", () => {
  assert.equal(inScope(undefined, "b"), true);
  assert.equal(inScope(undefined, null), true);
  assert.equal(inScope(["a"], "a"), true);
  assert.equal(inScope(["a"], "b"), false);
  assert.equal(inScope(["a"], null), false);
  assert.equal(inScope(["a"], undefined), false);
  assert.equal(inScope([], "a"), false, "a key whose sites were all deleted sees nothing");
});

test("outsideScope: the sites a scope does not cover, none for an unscoped key", () => {
  assert.deepEqual(outsideScope(undefined, ["a", "b"]), []);
  assert.deepEqual(outsideScope(["a"], ["a", "b", "c"]), ["b", "c"]);
  assert.deepEqual(outsideScope(["a", "b"], []), []);
});

test("scopeCondition: no condition unscoped; else the scope as the next parameter", () => {
  const values: unknown[] = ["x"];
  assert.equal(scopeCondition("t.site_id", undefined, values), undefined);
  assert.deepEqual(values, ["x"]);
  assert.equal(scopeCondition("t.site_id", ["a", "b'; --"], values), "t.site_id = ANY($2::text[])");
  assert.deepEqual(values, ["x", ["a", "b'; --"]]);
});
