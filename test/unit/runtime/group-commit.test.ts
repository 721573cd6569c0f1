import assert from "node:assert/strict";
import { test } from "node:test";
import { groupCommit } from "../../../pipelines/runtime/group-commit.ts";

/** A group commit whose groups are recorded with the (fake) time each started, and finish when released. */
function recorder(windowMs: number) {
  let clock = 0;
  const groups: { at: number; items: number[] }[] = [];
  const releases: (() => void)[] = [];
  const add = groupCommit<number>(
    (items) => {
      groups.push({ at: clock, items });
      return new Promise<void>((resolve) => releases.push(resolve));
    },
    { windowMs, now: () => clock },
  );
  return {
    add,
    groups,
    release: () => releases.shift()?.(),
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("group commit: what comes in while a group runs is applied together next, each caller settling with its group", async () => {
  const g = recorder(0);
  const settled: number[] = [];
  g.add([1]).then(() => settled.push(1));
  await tick();
  g.add([2]).then(() => settled.push(2));
  g.add([3, 4]).then(() => settled.push(3));
  await tick();
  assert.deepEqual(g.groups, [{ at: 0, items: [1] }]);
  g.release();
  await tick();
  assert.deepEqual(settled, [1]);
  assert.deepEqual(
    g.groups.map((x) => x.items),
    [[1], [2, 3, 4]],
  );
  g.release();
  await tick();
  assert.deepEqual(settled, [1, 2, 3]);
});

test("group commit: a group starts no sooner than the window after the last one, gathering what came in meanwhile", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const g = recorder(250);
  g.add([1]);
  await tick();
  g.release();
  await tick();
  g.advance(100);
  g.add([2]);
  await tick();
  g.add([3]);
  await tick();
  assert.equal(g.groups.length, 1, "the second group waits for the window");
  g.advance(150);
  t.mock.timers.tick(150);
  await tick();
  assert.deepEqual(g.groups, [
    { at: 0, items: [1] },
    { at: 250, items: [2, 3] },
  ]);
});

test("group commit: a failed group rejects each of its callers, and the next group still runs", async () => {
  let calls = 0;
  const add = groupCommit<number>(
    async () => {
      calls++;
      if (calls === 1) throw new Error("postgres went away");
    },
    { windowMs: 0 },
  );
  const first = add([1]);
  const second = add([2]);
  await assert.rejects(first, /postgres went away/);
  await assert.rejects(second, /postgres went away/);
  await add([3]);
  assert.equal(calls, 2);
});
