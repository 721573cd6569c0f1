// The route declaration's runtime side, on a bare app of @hono/zod-openapi: validation order and the error envelope
// of its failures, the response schema as an allow-list, and a handler's bug becoming a 500 that leaks nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Hono } from "hono";
import { z } from "zod";
import type { ApiKey } from "../../../api/auth/keys.ts";
import type { Role } from "../../../api/auth/roles.ts";
import { handleError } from "../../../api/errors.ts";
import { mount, openApiApp } from "../../../api/openapi/mount.ts";
import { DbId, defineRoute } from "../../../api/openapi/route.ts";

function appAs(role: Role) {
  const app = openApiApp();
  app.use(async (c, next) => {
    c.set("apiKey", { id: 1, name: "t", role } as ApiKey);
    await next();
  });
  mount(app, [
    defineRoute({
      method: "post",
      path: "/things/:thing_id",
      operationId: "makeThing",
      summary: "s",
      tag: "t",
      role: "operator",
      request: {
        params: z.strictObject({ thing_id: DbId }),
        query: z.strictObject({ dry: z.enum(["yes", "no"]).optional() }),
        body: z.strictObject({ n: z.number() }),
      },
      response: { status: 201, description: "d", schema: z.object({ id: z.number(), n: z.number() }) },
      handler: async ({ params, body }) => ({ id: params.thing_id, n: body.n, secret: "hidden" }) as never,
    }),
    defineRoute({
      method: "get",
      path: "/broken",
      operationId: "broken",
      summary: "s",
      tag: "t",
      role: "viewer",
      response: { status: 200, description: "d", schema: z.object({ id: z.number() }) },
      handler: async () => ({ id: "not a number" }) as never,
    }),
  ]);
  app.onError(handleError);
  return app;
}

const post = (app: Hono, path: string, body: string) =>
  app.request(path, { method: "POST", body, headers: { "Content-Type": "application/json" } });

test("route: typed input reaches the handler; fields outside the response schema never leave", async () => {
  const res = await post(appAs("operator"), "/things/7?dry=yes", '{"n": 3}');
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { id: 7, n: 3 });
});

test("route: role first, then params, query and body, each a 400 naming its part", async () => {
  assert.equal((await post(appAs("viewer"), "/things/x", "{")).status, 403);
  const app = appAs("admin");
  const cases: [string, string, string][] = [
    ["/things/x", '{"n": 1}', "params.thing_id"],
    ["/things/1?dry=maybe", '{"n": 1}', "query.dry"],
    ["/things/1", '{"n": "1"}', "body.n"],
  ];
  for (const [path, body, where] of cases) {
    const res = await post(app, path, body);
    assert.equal(res.status, 400, `${path} ${body}`);
    const error = ((await res.json()) as { error: { details: { issues: { path: string }[] } } }).error;
    assert.equal(error.details.issues[0]?.path, where);
  }
  // No body at all is an empty object to the schema.
  const none = await app.request("/things/1", { method: "POST" });
  const issues = ((await none.json()) as { error: { details: { issues: { path: string }[] } } }).error
    .details;
  assert.deepEqual(issues.issues[0]?.path, "body.n");
  const code = async (res: Response) => [
    res.status,
    ((await res.json()) as { error: { code: string } }).error.code,
  ];
  assert.deepEqual(await code(await post(app, "/things/1", "{'n': 1}")), [400, "invalid_json"]);
  assert.deepEqual(await code(await post(app, "/things/1", "")), [400, "invalid_json"]);
  const text = await app.request("/things/1", { method: "POST", body: '{"n": 1}' });
  assert.deepEqual(await code(text), [415, "unsupported_media_type"]);
});

test("route: a response that breaks its own schema is a 500 without internals", async () => {
  const res = await appAs("viewer").request("/broken");
  assert.equal(res.status, 500);
  const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
  assert.equal(body.error.code, "internal");
  assert.equal(body.error.details, null);
  assert.doesNotMatch(body.error.message, /number|zod/i);
});
