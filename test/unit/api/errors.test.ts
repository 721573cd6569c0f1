import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { fromPostgres, validationError } from "../../../api/errors.ts";

const pgError = (code: string, detail?: string) =>
  Object.assign(new Error(`pg ${code}`), { code, detail, constraint: "c", severity: "ERROR" });

test("errors: Postgres codes that input can cause become 400 or 409; others stay unknown (500)", () => {
  const cases: [string, string | undefined, number | undefined, string | undefined][] = [
    ["23505", "Key (id)=(x) already exists.", 409, "conflict"],
    ["23503", 'Key (site_id)=(x) is not present in table "sites".', 400, "invalid_reference"],
    ["23503", 'Key (id)=(1) is still referenced from table "adapters".', 409, "conflict"],
    ["23001", undefined, 409, "conflict"],
    ["23514", undefined, 400, "invalid_value"],
    ["22P02", undefined, 400, "invalid_value"],
    ["40P01", undefined, undefined, undefined],
    ["57P01", undefined, undefined, undefined],
  ];
  for (const [code, detail, status, apiCode] of cases) {
    const mapped = fromPostgres(pgError(code, detail));
    assert.equal(mapped?.status, status, code);
    assert.equal(mapped?.code, apiCode, code);
  }
  assert.equal(fromPostgres(new Error("plain")), undefined);
  assert.equal(fromPostgres(Object.assign(new Error("x"), { code: "ECONNREFUSED" })), undefined);
});

test("errors: validation names each issue with its place in the request", () => {
  const schema = z.strictObject({ a: z.number(), b: z.object({ c: z.string() }) });
  const result = schema.safeParse({ a: "1", b: { c: 2 }, d: true });
  assert.ok(!result.success);
  const err = validationError("body", result.error);
  assert.equal(err.status, 400);
  assert.equal(err.code, "validation_failed");
  const paths = (err.details as { issues: { path: string }[] }).issues.map((i) => i.path);
  assert.deepEqual(paths.sort(), ["body", "body.a", "body.b.c"]);
});
