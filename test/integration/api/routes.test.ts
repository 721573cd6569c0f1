// Table-driven over every declared route: 401 without a key, 403 with a weaker role, 400 with details for bad input,
// injection attempts in every parameter harmless, and the OpenAPI document listing exactly the routes served.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiRoutes } from "../../../api/app.ts";
import { ROLES, type Role } from "../../../api/auth/roles.ts";
import { openApiPath } from "../../../api/openapi/document.ts";
import type { AnyRoute } from "../../../api/openapi/route.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { config } from "../../support/stack.ts";
import { type Harness, harness, INJECTIONS, tablesIntact } from "./support.ts";

let h: Harness;
let routes: AnyRoute[];

before(async () => {
  h = await harness("routes");
  routes = apiRoutes({
    kafka: createKafka(config),
    questdb: h.questdb,
    postgres: h.pool,
    mqttConnected: () => true,
  });
});
after(() => h.close());

const weaker = (role: Role): Role | undefined => ROLES[ROLES.indexOf(role) - 1];
const withParams = (route: AnyRoute, value: (name: string) => string) =>
  route.path.replace(/:([a-z_]+)/g, (_, name: string) => encodeURIComponent(value(name)));
const label = (r: AnyRoute) => `${r.method.toUpperCase()} ${r.path}`;

function assertEnvelope(status: number, body: Record<string, unknown>, expected: number[], what: string) {
  assert.ok(expected.includes(status), `${what}: status ${status}, expected ${expected.join(" or ")}`);
  const error = body.error as Record<string, unknown> | undefined;
  assert.ok(error, `${what}: no error envelope in ${JSON.stringify(body)}`);
  assert.equal(typeof error.code, "string");
  assert.equal(typeof error.message, "string");
  assert.ok("details" in error, `${what}: details missing`);
}

test("every route but /health answers 401 without a key, with an unknown key and with a malformed header", async () => {
  for (const route of routes.filter((r) => r.role !== "public")) {
    const path = withParams(route, () => "1");
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: `Bearer wl_AAAAAAAAAAAA_${"A".repeat(43)}` },
      { Authorization: "Basic eDp5" },
      { Authorization: "Bearer" },
      { Authorization: `Bearer ${"' OR 1=1 --"}` },
    ];
    for (const headers of attempts) {
      const res = await h.call(route.method.toUpperCase(), path, { key: null, headers });
      assertEnvelope(res.status, res.body, [401], `${label(route)} ${JSON.stringify(headers)}`);
      assert.ok(res.headers.get("x-request-id"), `${label(route)}: no X-Request-Id`);
    }
  }
  const open = await h.call("GET", "/health", { key: null });
  assert.notEqual(open.status, 401);
});

test("every route above viewer answers 403 to each weaker role", async () => {
  const guarded = routes.filter((r) => r.role === "operator" || r.role === "admin");
  assert.ok(guarded.length >= 20, `only ${guarded.length} write routes`);
  for (const route of guarded) {
    for (let role = weaker(route.role as Role); role !== undefined; role = weaker(role)) {
      const body = route.request?.body === undefined ? undefined : {};
      const res = await h.call(
        route.method.toUpperCase(),
        withParams(route, () => "1"),
        { role, body },
      );
      assertEnvelope(res.status, res.body, [403], `${label(route)} as ${role}`);
    }
  }
});

test("every parameter refuses injection attempts with 400 or 404, and the tables stay", async () => {
  for (const route of routes.filter((r) => r.role !== "public")) {
    const params = Object.keys(route.request?.params?.shape ?? {});
    for (const name of params) {
      for (const attempt of INJECTIONS) {
        const path = withParams(route, (p) => (p === name ? attempt : "1"));
        const res = await h.call(route.method.toUpperCase(), path, {
          body: route.request?.body ? {} : undefined,
        });
        assertEnvelope(res.status, res.body, [400, 404], `${label(route)} ${name}=${attempt}`);
      }
    }
    const query = Object.keys(route.request?.query?.shape ?? {});
    for (const name of query) {
      for (const attempt of INJECTIONS) {
        const path = `${withParams(route, () => "1")}?${name}=${encodeURIComponent(attempt)}`;
        const res = await h.call(route.method.toUpperCase(), path);
        if (res.status === 200) {
          assert.deepEqual(res.body.items, [], `${label(route)} ${name}=${attempt} matched rows`);
        } else {
          assertEnvelope(res.status, res.body, [400, 404], `${label(route)} ?${name}=${attempt}`);
        }
      }
    }
  }
  assert.ok(await tablesIntact(h.pool));
});

test("every route with a body answers 400 with details to unknown fields and to malformed JSON", async () => {
  for (const route of routes.filter((r) => r.request?.body !== undefined)) {
    const path = withParams(route, () => "999999999");
    const unknown = await h.call(route.method.toUpperCase(), path, { body: { "' OR 1=1 --": "x" } });
    assertEnvelope(unknown.status, unknown.body, [400], `${label(route)} unknown field`);
    const issues = (unknown.body.error as { details: { issues: { path: string }[] } }).details.issues;
    assert.ok(issues.length > 0, `${label(route)}: no issues`);
    assert.ok(
      issues.every((i) => i.path.startsWith("body")),
      `${label(route)}: ${JSON.stringify(issues)}`,
    );
    const malformed = await h.call(route.method.toUpperCase(), path, { body: "{not json" });
    assertEnvelope(malformed.status, malformed.body, [400], `${label(route)} malformed`);
    assert.equal((malformed.body.error as { code: string }).code, "invalid_json");
  }
});

test("list routes refuse bad pagination with 400 naming the parameter", async () => {
  for (const route of routes.filter((r) => r.request?.query?.shape.limit !== undefined)) {
    for (const q of ["limit=0", "limit=501", "limit=abc", "cursor=not-a-cursor", "unknown=1"]) {
      const res = await h.call("GET", `${route.path}?${q}`);
      assertEnvelope(res.status, res.body, [400], `${label(route)}?${q}`);
    }
  }
});

test("the OpenAPI document lists exactly the routes the app serves, each once", async () => {
  const res = await h.call("GET", "/openapi.json", { role: "viewer" });
  assert.equal(res.status, 200);
  const paths = res.body.paths as Record<string, Record<string, unknown>>;
  const documented = Object.entries(paths).flatMap(([p, methods]) =>
    Object.keys(methods).map((m) => `${m} ${p}`),
  );
  const declared = routes.map((r) => `${r.method} ${openApiPath(r.path)}`);
  assert.deepEqual([...documented].sort(), [...declared].sort());
  assert.equal(new Set(declared).size, declared.length, "a route is declared twice");
  const served = h.app.routes
    .filter((r) => r.method !== "ALL")
    .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`);
  assert.deepEqual([...new Set(served)].sort(), [...declared].sort());
});

test("errors carry the request id the client sent, or a new one", async () => {
  const mine = await h.call("GET", "/api/v1/sites/nope-nope", { headers: { "X-Request-Id": "trace-123" } });
  assert.equal(mine.status, 404);
  assert.equal(mine.headers.get("x-request-id"), "trace-123");
  const fresh = await h.call("GET", "/no/such/route");
  assert.equal(fresh.status, 404);
  assert.match(fresh.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  const unauth = await h.call("GET", "/api/v1/sites", {
    key: null,
    headers: { "X-Request-Id": "trace-456" },
  });
  assert.equal(unauth.headers.get("x-request-id"), "trace-456");
});

test("a body over 1 MiB is refused with 413 before anything reads it", async () => {
  const big = JSON.stringify({ id: "x", name: "n".repeat(1_100_000), timezone: "UTC" });
  const res = await h.call("POST", "/api/v1/sites", { body: big });
  assert.equal(res.status, 413);
  assert.equal((res.body.error as { code: string }).code, "payload_too_large");
});
