// The partition store's write schedule: a put is written at the next checkpoint, a lazy put once it is old enough
// (or at the last checkpoint), and the floor of the oldest lazy change not written yet bounds the committed offset.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Floor, MemoryStateStore } from "../../../pipelines/runtime/state-store.ts";

function store() {
  let now = 0;
  let floor: Floor = new Map([["t", 0n]]);
  const s = new MemoryStateStore<number>(
    () => floor,
    () => now,
  );
  return {
    s,
    at: (ms: number) => {
      now = ms;
    },
    floorAt: (offset: bigint) => {
      floor = new Map([["t", offset]]);
    },
  };
}

const keys = (taken: [string, number | undefined][]) => taken.map(([k]) => k);

test("a lazy put waits until it is lazyMs old; a put, or a delete, of the same key is written at the next checkpoint", () => {
  const { s, at } = store();
  s.putLazy("a", 1);
  s.putLazy("b", 1);
  at(500);
  s.putLazy("c", 1);
  s.put("b", 2);
  assert.deepEqual(keys(s.take(999, 1000, false)), ["b"]);
  assert.deepEqual(keys(s.take(1000, 1000, false)), ["a"]);
  s.delete("c");
  assert.deepEqual(s.take(1000, 1000, false), [["c", undefined]]);
  assert.deepEqual(s.take(5000, 1000, false), []);
});

test("a lazy put keeps the time and floor of the key's first change since its write; the last checkpoint takes every key", () => {
  const { s, at, floorAt } = store();
  s.putLazy("a", 1);
  at(900);
  floorAt(7n);
  s.putLazy("a", 2);
  s.putLazy("b", 1);
  assert.equal(s.pinned()?.get("t"), 0n, "a's first change came before the floor moved");
  assert.deepEqual(s.take(1000, 1000, false), [["a", 2]]);
  assert.equal(s.pinned()?.get("t"), 7n);
  assert.deepEqual(keys(s.take(1000, 1000, true)), ["b"]);
  assert.equal(s.pinned(), undefined);
});

test("a put key stays due at the next checkpoint when it is then put lazily", () => {
  const { s } = store();
  s.put("a", 1);
  s.putLazy("a", 2);
  assert.equal(s.pinned(), undefined);
  assert.deepEqual(s.take(0, 10_000, false), [["a", 2]]);
});
