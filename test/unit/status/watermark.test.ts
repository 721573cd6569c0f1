import assert from "node:assert/strict";
import { test } from "node:test";
import { Watermark } from "../../../pipelines/status/watermark.ts";

test("watermark: the wall clock while every partition read is caught up", () => {
  const w = new Watermark();
  assert.equal(w.at(1_000), 1_000);
  w.advance("t", 0, true, 500);
  assert.equal(w.at(1_000), 1_000);
});

test("watermark: no later than the newest record of the slowest partition with a backlog", () => {
  const w = new Watermark();
  w.advance("t", 0, false, 300);
  w.advance("t", 1, false, 200);
  w.advance("u", 0, true, 900);
  assert.equal(w.at(1_000), 200);
  w.advance("t", 1, false, 250);
  assert.equal(w.at(1_000), 250);
  w.advance("t", 1, true, 260);
  assert.equal(w.at(1_000), 300);
});

test("watermark: a rebalance forgets the partitions", () => {
  const w = new Watermark();
  w.advance("t", 0, false, 300);
  w.reset();
  assert.equal(w.at(1_000), 1_000);
});
