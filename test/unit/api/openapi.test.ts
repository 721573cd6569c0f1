// The generated document is structurally valid OpenAPI 3.1 (no validator package is a dependency, so the rules
// that matter are checked here) and describes every route with its security and error responses.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiRoutes } from "../../../api/app.ts";
import type { ApiDependencies } from "../../../api/deps.ts";
import { docsPage } from "../../../api/openapi/docs-page.ts";
import { openApiDocument } from "../../../api/openapi/document.ts";
import { defineRoute } from "../../../api/openapi/route.ts";

// Building routes touches no dependency; they are only used when a request comes.
const routes = apiRoutes({} as ApiDependencies);
const doc = openApiDocument(routes, "9.9.9");
const paths = doc.paths ?? {};
type Json = Record<string, unknown>;

function pointer(root: unknown, ref: string): unknown {
  assert.ok(ref.startsWith("#/"), `external $ref ${ref}`);
  return ref
    .slice(2)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], root);
}

function* walk(node: unknown): Generator<Json> {
  if (Array.isArray(node)) for (const n of node) yield* walk(n);
  else if (node !== null && typeof node === "object") {
    yield node as Json;
    for (const v of Object.values(node)) yield* walk(v);
  }
}

test("openapi: a 3.1 document whose references all resolve and whose operation ids are unique", () => {
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  assert.equal(doc.info.version, "9.9.9");
  assert.equal(typeof doc.info.title, "string");
  for (const node of walk(doc)) {
    if (typeof node.$ref === "string")
      assert.ok(pointer(doc, node.$ref) !== undefined, `unresolved ${node.$ref}`);
  }
  const ids = Object.values(paths).flatMap((ops) => Object.values(ops).map((op) => (op as Json).operationId));
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids.length, routes.length);
  assert.ok(doc.security && doc.security.length > 0);
  for (const requirement of doc.security) {
    for (const name of Object.keys(requirement)) assert.ok(name in (doc.components?.securitySchemes ?? {}));
  }
});

test("openapi: path templates and path parameters match one to one; parameters are unique and typed", () => {
  const methods = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
  for (const [path, ops] of Object.entries(paths)) {
    assert.ok(path.startsWith("/"), path);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    for (const [method, op] of Object.entries(ops) as [string, Json][]) {
      assert.ok(methods.has(method), `${method} ${path}`);
      const params = (op.parameters ?? []) as { name: string; in: string; required: boolean; schema: Json }[];
      const inPath = params.filter((p) => p.in === "path");
      assert.deepEqual(inPath.map((p) => p.name).sort(), templated, `${method} ${path}`);
      assert.ok(
        inPath.every((p) => p.required === true),
        `${method} ${path}: a path parameter is optional`,
      );
      assert.equal(new Set(params.map((p) => `${p.in}:${p.name}`)).size, params.length, `${method} ${path}`);
      for (const p of params) {
        assert.ok(["path", "query", "header", "cookie"].includes(p.in));
        assert.equal(typeof p.schema, "object", `${method} ${path} ${p.name}`);
        assert.ok(!("$schema" in p.schema));
      }
      const responses = op.responses as Record<string, Json>;
      assert.ok(Object.keys(responses).length > 0);
      for (const [status, response] of Object.entries(responses)) {
        assert.match(status, /^[1-5]\d\d$/);
        assert.equal(typeof response.description, "string");
      }
      const body = op.requestBody as { content: Record<string, { schema: Json }> } | undefined;
      if (body !== undefined) assert.equal(typeof body.content["application/json"]?.schema, "object");
    }
  }
});

test("openapi: each operation states its role, credential and the errors it can answer", () => {
  for (const route of routes) {
    const op = (paths as Record<string, Record<string, Json>>)[route.path.replace(/:(\w+)/g, "{$1}")]?.[
      route.method
    ];
    assert.ok(op, `${route.method} ${route.path} missing`);
    const statuses = Object.keys(op.responses as Json);
    assert.equal(op["x-wattline-role"], route.role);
    if (route.role === "public") {
      assert.deepEqual(op.security, []);
      assert.ok(!statuses.includes("401"));
    } else {
      assert.ok(statuses.includes("401") && statuses.includes("429"), `${route.path}: ${statuses}`);
    }
    assert.equal(statuses.includes("403"), route.role === "operator" || route.role === "admin", route.path);
    assert.equal(statuses.includes("404"), route.path.includes(":"), route.path);
    assert.equal(statuses.includes("415"), route.request?.body !== undefined, route.path);
    assert.ok(statuses.includes("500"));
  }
  const create = paths["/api/v1/sites"]?.post as Json;
  const schema = (create.requestBody as { content: { "application/json": { schema: Json } } }).content[
    "application/json"
  ].schema;
  assert.deepEqual((schema.required as string[]).sort(), ["id", "name", "timezone"]);
  assert.equal(schema.additionalProperties, false);
});

test("openapi: every resource the brief names is there", () => {
  const listed = Object.keys(paths);
  for (const p of [
    "/health",
    "/api/v1/health",
    "/api/v1/sites/{site_id}",
    "/api/v1/devices/{device_id}",
    "/api/v1/systems/{system_id}/now",
    "/api/v1/inverter-arrays/{inverter_array_id}/now",
    "/api/v1/inverters/{inverter_id}/now",
    "/api/v1/battery-arrays/{battery_array_id}/now",
    "/api/v1/battery-packs/{battery_pack_id}/now",
    "/api/v1/meters/{meter_id}/now",
    "/api/v1/communication-modules/{module_id}",
    "/api/v1/cost-versions",
    "/api/v1/review-tickets/{ticket_id}/resolve",
    "/api/v1/charging-stations/{station_id}",
    "/api/v1/charging-points/{point_id}",
    "/api/v1/api-keys/{api_key_id}/revoke",
    "/openapi.json",
    "/docs",
    "/metrics",
  ]) {
    assert.ok(listed.includes(p), p);
  }
});

test("docs page: self-contained HTML that escapes what the document says", () => {
  const evil = defineRoute({
    method: "get",
    path: "/x",
    operationId: "x",
    summary: "<script>alert(1)</script>",
    tag: "<b>",
    role: "viewer",
    response: { status: 200, description: "d", contentType: "text/plain" },
    handler: async () => new Response(""),
  });
  const html = docsPage(openApiDocument([evil], "1"));
  assert.ok(!html.includes("<script>"));
  assert.match(html, /&#60;script&#62;/);
  const full = docsPage(doc);
  assert.doesNotMatch(full, /<script|<link|src=|@import/i);
  for (const route of routes) assert.ok(full.includes(route.operationId), route.operationId);
});
