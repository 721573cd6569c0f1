import assert from "node:assert/strict";
import { test } from "node:test";
import { FencedError, isFenced } from "../../../pipelines/runtime/fenced.ts";

test("fenced: kafkajs's protocol errors, wrapped or not, and nothing else", () => {
  const epoch = Object.assign(new Error("old epoch"), { type: "INVALID_PRODUCER_EPOCH", code: 47 });
  assert.equal(isFenced(epoch), true);
  assert.equal(isFenced(Object.assign(new Error("fenced"), { code: 90 })), true);
  assert.equal(isFenced(new Error("retries exceeded", { cause: epoch })), true);
  assert.equal(isFenced(Object.assign(new Error("aggregate"), { errors: [new Error("x"), epoch] })), true);
  assert.equal(isFenced(new FencedError(3)), true);
  assert.equal(
    isFenced(Object.assign(new Error("busy"), { type: "CONCURRENT_TRANSACTIONS", code: 51 })),
    false,
  );
  assert.equal(isFenced(new Error("plain")), false);
  assert.equal(isFenced(undefined), false);
});
