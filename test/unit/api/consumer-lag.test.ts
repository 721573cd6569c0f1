import assert from "node:assert/strict";
import { test } from "node:test";
import { lagOf } from "../../../api/consumer-lag.ts";

const ends = [
  { partition: 1, high: "10", low: "4" },
  { partition: 0, high: "7", low: "0" },
];

test("lag: end minus committed, summed; an uncommitted partition counts from its log start", () => {
  const lag = lagOf("g", "t", ends, [
    { partition: 0, offset: "5" },
    { partition: 1, offset: "-1" },
  ]);
  assert.equal(lag.lag, 2 + 6);
  assert.equal(lag.retained, 13);
  assert.deepEqual(
    lag.partitions.map((p) => [p.partition, p.committed, p.lag]),
    [
      [0, 5, 2],
      [1, null, 6],
    ],
  );
  assert.equal(lag.note, null);
});

test("lag: null with a note while the group has committed nothing; never negative", () => {
  const none = lagOf("g", "t", ends, [{ partition: 0, offset: "-1" }]);
  assert.equal(none.lag, null);
  assert.match(none.note ?? "", /committed no offset/);
  assert.equal(lagOf("g", "t", ends, [{ partition: 0, offset: "9" }]).partitions[0]?.lag, 0);
});
