import assert from "node:assert/strict";
import { test } from "node:test";
import { planAssignment } from "../../../pipelines/runtime/assigner.ts";

const plan = (partitions: number, members: [string, number[]][]) =>
  Object.fromEntries(
    planAssignment(
      partitions,
      members.map(([id, owned]) => ({ id, owned })),
    ),
  );

test("assigner: partitions spread evenly over the members, in id order", () => {
  assert.deepEqual(
    plan(6, [
      ["b", []],
      ["a", []],
    ]),
    { a: [0, 2, 4], b: [1, 3, 5] },
  );
  assert.deepEqual(
    plan(5, [
      ["a", []],
      ["b", []],
      ["c", []],
    ]),
    { a: [0, 3], b: [1, 4], c: [2] },
  );
  assert.deepEqual(
    plan(2, [
      ["a", []],
      ["b", []],
      ["c", []],
    ]),
    { a: [0], b: [1], c: [] },
  );
});

test("assigner: members keep what they own up to their fair share (a new instance moves few partitions)", () => {
  assert.deepEqual(
    plan(6, [
      ["a", [0, 1, 2]],
      ["b", [3, 4, 5]],
      ["c", []],
    ]),
    { a: [0, 1], b: [3, 4], c: [2, 5] },
  );
  // Back to one: it keeps its own and takes the rest.
  assert.deepEqual(plan(6, [["c", [2, 5]]]), { c: [0, 1, 2, 3, 4, 5] });
  // Uneven: the extra partition stays with a member that owned it.
  assert.deepEqual(
    plan(5, [
      ["a", [0, 1, 2]],
      ["b", [3, 4]],
    ]),
    { a: [0, 1, 2], b: [3, 4] },
  );
});

test("assigner: a partition two members claim goes to one; claims past the partition count are ignored", () => {
  const p = plan(4, [
    ["a", [0, 1, 9]],
    ["b", [0, 2]],
  ]);
  assert.deepEqual(p, { a: [0, 1], b: [2, 3] });
  const all = Object.values(p).flat().sort();
  assert.deepEqual(all, [0, 1, 2, 3], "each partition exactly once");
});
