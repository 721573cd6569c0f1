import assert from "node:assert/strict";
import { test } from "node:test";
import type { Schema } from "avsc";
import { checkCompatibility } from "../../../schemas/codec/compatibility.ts";
import { parseSchema } from "../../../schemas/codec/parse-schema.ts";
import { loadSchemaFamilies } from "../../../schemas/codec/schema-files.ts";

type Field = { name: string; type: Schema; default?: unknown; aliases?: string[] };
const record = (...fields: Field[]): Schema => ({
  type: "record",
  name: "Thing",
  namespace: "io.wattline.test",
  fields,
});
const state = (symbols: string[], extra: { default?: string } = {}): Schema =>
  ({ type: "enum", name: "State", symbols, ...extra }) as Schema;
const id: Field = { name: "id", type: "string" };

/** avsc's own resolver must agree with the verdict: it builds when compatible and throws when not. */
function assertVerdict(older: Schema, newer: Schema, expected: RegExp | "compatible"): void {
  const problems = checkCompatibility(older, newer);
  const resolve = () => parseSchema(newer).createResolver(parseSchema(older));
  if (expected === "compatible") {
    assert.deepEqual(problems, []);
    assert.doesNotThrow(resolve);
  } else {
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0] ?? "", expected);
    assert.throws(resolve);
  }
}

test("adding a field without a default is refused", () => {
  assertVerdict(record(id), record(id, { name: "phase", type: "int" }), /^phase: added without a default/);
  assertVerdict(
    record(id),
    record(id, { name: "tags", type: { type: "array", items: "string" } }),
    /^tags: added/,
  );
});

test("adding a field with a default is accepted", () => {
  assertVerdict(
    record(id),
    record(id, { name: "phase", type: ["null", "int"], default: null }),
    "compatible",
  );
  assertVerdict(record(id), record(id, { name: "unit", type: "string", default: "Wh" }), "compatible");
});

test("removing a field is accepted: the reader skips it", () => {
  assertVerdict(record(id, { name: "old", type: "double" }), record(id), "compatible");
});

test("renaming a field is accepted only through an alias", () => {
  assertVerdict(
    record({ name: "device", type: "string" }),
    record({ name: "id", type: "string" }),
    /^id: added/,
  );
  assertVerdict(
    record({ name: "device", type: "string" }),
    record({ ...id, aliases: ["device"] }),
    "compatible",
  );
});

test("an incompatible type change is refused, naming the field", () => {
  assertVerdict(
    record({ name: "n", type: "string" }),
    record({ name: "n", type: "int" }),
    /^n: string cannot be read as int/,
  );
  assertVerdict(
    record({ name: "n", type: "long" }),
    record({ name: "n", type: "int" }),
    /^n: long cannot be read as int/,
  );
  assertVerdict(
    record({ name: "n", type: ["null", "string"], default: null }),
    record({ name: "n", type: ["null", "double"], default: null }),
    /^n: string is not a branch of \["null","double"\]/,
  );
  assertVerdict(
    record({ name: "n", type: ["null", "int"] }),
    record({ name: "n", type: "int" }),
    /^n: null cannot be read as int/,
  );
});

test("promotions and widening to a union are accepted", () => {
  assertVerdict(record({ name: "n", type: "int" }), record({ name: "n", type: "long" }), "compatible");
  assertVerdict(record({ name: "n", type: "float" }), record({ name: "n", type: "double" }), "compatible");
  assertVerdict(record({ name: "n", type: "string" }), record({ name: "n", type: "bytes" }), "compatible");
  assertVerdict(
    record({ name: "n", type: "int" }),
    record({ name: "n", type: ["null", "int"], default: null }),
    "compatible",
  );
  assertVerdict(
    record({ name: "n", type: { type: "map", values: "int" } }),
    record({ name: "n", type: { type: "map", values: "double" } }),
    "compatible",
  );
});

test("a type change inside arrays and maps is found", () => {
  assertVerdict(
    record({ name: "xs", type: { type: "array", items: "string" } }),
    record({ name: "xs", type: { type: "array", items: "int" } }),
    /^xs\[\]: string cannot be read as int/,
  );
});

test("removing an enum symbol is refused unless the enum has a default", () => {
  const before = record({ name: "s", type: state(["on", "off", "fault"]) });
  assertVerdict(
    before,
    record({ name: "s", type: state(["on", "off"]) }),
    /^s: enum io.wattline.test.State dropped fault and has no default/,
  );
  assertVerdict(
    before,
    record({ name: "s", type: state(["on", "off", "unknown"], { default: "unknown" }) }),
    "compatible",
  );
});

test("adding an enum symbol is accepted", () => {
  assertVerdict(
    record({ name: "s", type: state(["on"]) }),
    record({ name: "s", type: state(["on", "off"]) }),
    "compatible",
  );
});

test("renaming a record is refused", () => {
  assertVerdict(
    record(id),
    { ...(record(id) as object), name: "Other" } as Schema,
    /^\(top level\): io.wattline.test.Thing cannot be read as io.wattline.test.Other/,
  );
});

test("every problem is listed", () => {
  const problems = checkCompatibility(
    record(id, { name: "n", type: "string" }),
    record({ name: "id", type: "int" }, { name: "n", type: "int" }, { name: "x", type: "int" }),
  );
  assert.deepEqual(
    problems.map((problem) => problem.split(":")[0]),
    ["id", "n", "x"],
  );
});

test("every checked-in schema version can read the data of every earlier version", () => {
  for (const { family, versions } of loadSchemaFamilies()) {
    assert.deepEqual(
      versions.map((v) => v.version),
      versions.map((_, index) => index + 1),
      `${family}: versions 1..N`,
    );
    // Every earlier version, not only the previous one: the store reads all of them into the latest.
    for (const [index, newer] of versions.entries()) {
      for (const older of versions.slice(0, index)) {
        assert.deepEqual(
          checkCompatibility(older.schema, newer.schema),
          [],
          `${family} v${older.version} → v${newer.version}`,
        );
      }
    }
  }
});
