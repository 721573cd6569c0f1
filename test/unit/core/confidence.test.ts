import assert from "node:assert/strict";
import { test } from "node:test";
import { intervalConfidence, lowestConfidence } from "../../../pipelines/core/confidence.ts";
import { settings } from "./helpers.ts";

const s = settings({ expected_interval_s: 60 });
const MIN = 60_000;

test("high up to 5 × expected interval, medium up to 6 h, low beyond", () => {
  assert.equal(intervalConfidence(5 * MIN, "normal", s), "high");
  assert.equal(intervalConfidence(5 * MIN + 1, "normal", s), "medium");
  assert.equal(intervalConfidence(360 * MIN, "flat", s), "medium");
  assert.equal(intervalConfidence(360 * MIN + 1, "normal", s), "low");
});

test("low for an implausible jump, and for a reset after more than 5 × expected interval", () => {
  assert.equal(intervalConfidence(MIN, "jump", s), "low");
  assert.equal(intervalConfidence(5 * MIN, "reset", s), "high");
  assert.equal(intervalConfidence(5 * MIN + 1, "reset", s), "low");
});

test("the expected interval scales the high band", () => {
  assert.equal(intervalConfidence(4 * 3_600_000, "normal", settings({ expected_interval_s: 3600 })), "high");
});

test("lowestConfidence: low < medium < high, null is no interval", () => {
  assert.equal(lowestConfidence("high", "medium"), "medium");
  assert.equal(lowestConfidence("low", "medium"), "low");
  assert.equal(lowestConfidence(null, "high"), "high");
  assert.equal(lowestConfidence("medium", null), "medium");
  assert.equal(lowestConfidence(null, null), null);
});
