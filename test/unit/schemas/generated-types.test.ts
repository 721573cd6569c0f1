import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { GENERATED_TYPES, renderTypes } from "../../../schemas/generate-types.ts";

test("schemas/generated/types.ts is up to date with schemas/avro", () => {
  assert.equal(
    readFileSync(GENERATED_TYPES, "utf8"),
    renderTypes(),
    "stale generated types: run node --import tsx schemas/generate-types.ts",
  );
});
