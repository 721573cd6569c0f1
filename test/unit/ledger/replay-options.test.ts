import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { checkReplayOptions, ReplayInputError, shareOut } from "../../../pipelines/ledger/replay.ts";

const range = { from: "2025-03-01T00:00:00Z", to: "2025-03-02T00:00:00Z" };

test("workers must be a whole number from 1 to 64", () => {
  for (const workers of [1, 2, 64]) assert.doesNotThrow(() => checkReplayOptions({ ...range, workers }));
  for (const workers of [0, -1, 1.5, 65, Number.NaN])
    assert.throws(() => checkReplayOptions({ ...range, workers }), ReplayInputError);
});

test("shareOut gives every partition to exactly one share, at most `count` shares, none empty", () => {
  const partitions = fc.array(
    fc.record({ low: fc.bigInt({ min: 0n, max: 1000n }), size: fc.bigInt({ min: 0n, max: 5000n }) }),
    { maxLength: 24 },
  );
  fc.assert(
    fc.property(partitions, fc.integer({ min: 1, max: 8 }), (ps, count) => {
      const all = ps.map(({ low, size }, partition) => ({ partition, low, until: low + size - 1n }));
      const shares = shareOut(all, count);
      assert.ok(shares.length <= Math.max(1, Math.min(count, all.length)));
      assert.ok(shares.every((s) => s.length > 0));
      const given = shares.flat().map((p) => p.partition);
      assert.deepEqual(
        given.sort((a, b) => a - b),
        all.map((p) => p.partition),
      );
    }),
  );
});

test("shareOut balances records: largest first, each to the share with the fewest so far", () => {
  const p = (partition: number, records: number) => ({ partition, low: 0n, until: BigInt(records) - 1n });
  const shares = shareOut([p(0, 10), p(1, 70), p(2, 30), p(3, 40)], 2);
  const records = shares.map((s) => s.reduce((n, x) => n + Number(x.until + 1n), 0));
  assert.deepEqual(records, [80, 70]);
  assert.deepEqual(
    shares.map((s) => s.map((x) => x.partition)),
    [
      [1, 0],
      [3, 2],
    ],
  );
});
