import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { StallWatch } from "../../../pipelines/runtime/stall-watch.ts";

const standStill = (ms: number) => {
  for (const until = performance.now() + ms; performance.now() < until; );
};

test("a process that stood still is seen, whether the timer has ticked since or not", async () => {
  const watch = new StallWatch(5);
  try {
    const since = performance.now();
    standStill(120);
    assert.ok(watch.longestSince(since) >= 120, "going on now: before the next tick");
    await sleep(20);
    assert.ok(watch.longestSince(since) >= 110, "after the next tick: kept as a gap");
  } finally {
    watch.stop();
  }
});

test("waiting is not standing still, and a stall before the instant asked about does not count", async () => {
  const watch = new StallWatch(5);
  try {
    standStill(120);
    await sleep(20);
    const since = performance.now();
    await sleep(400);
    assert.ok(watch.longestSince(since) < 250, `${watch.longestSince(since)} ms`);
  } finally {
    watch.stop();
  }
});
