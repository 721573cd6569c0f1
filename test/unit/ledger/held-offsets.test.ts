// The offsets of held readings: in ts order, released from the oldest, the lowest found, packed for a checkpoint and
// read back, and a checkpoint written before they were packed (LedgerDeviceState v3) still restores them. Pure.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { HeldOffsets, unpackOffsets } from "../../../pipelines/ledger/held-offsets.ts";
import { decodeSlot, encodeSlot, newSlot } from "../../../pipelines/ledger/slot.ts";
import { loadSchemaFamilies } from "../../../schemas/codec/schema-files.ts";
import { SchemaStore, schemaStore } from "../../../schemas/codec/schema-store.ts";
import type { WattlineRecords } from "../../../schemas/generated/types.ts";

type Op = { add: { ts: number; offset: number } } | { release: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ ts: fc.nat(200), offset: fc.nat(10_000) }).map((add) => ({ add })) },
  { weight: 1, arbitrary: fc.nat(200).map((release) => ({ release })) },
);

test("held offsets behave as a ts-ordered list: add after equal ts, release through a ts, lowest is the minimum", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 3000 }), (ops) => {
      const held = new HeldOffsets();
      let model: { ts: number; offset: bigint }[] = [];
      for (const op of ops) {
        if ("add" in op) {
          const entry = { ts: op.add.ts, offset: BigInt(op.add.offset) };
          held.add(entry.ts, entry.offset);
          let i = model.length;
          while (i > 0 && (model[i - 1] as { ts: number }).ts > entry.ts) i--;
          model.splice(i, 0, entry);
        } else {
          held.releaseThrough(op.release);
          model = model.filter((e) => e.ts > op.release);
        }
        assert.equal(held.length, model.length);
        const low = model.reduce<bigint | undefined>(
          (m, e) => (m === undefined || e.offset < m ? e.offset : m),
          undefined,
        );
        assert.equal(held.lowest(), low);
      }
      assert.deepEqual([...held.entries()], model);
    }),
  );
});

test("packed offsets read back exactly, in order, up to 2^52 and in any order", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ ts: fc.nat(), offset: fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }) })),
      fc.array(fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }), { maxLength: 5 }),
      (entries, restoring) => {
        const held = HeldOffsets.of(entries.sort((a, b) => a.ts - b.ts));
        const expected = [...[...held.entries()].map((e) => e.offset), ...restoring];
        assert.deepEqual(unpackOffsets(held.pack(restoring)), expected);
      },
    ),
  );
});

test("offsets of readings that arrived in order take a byte or two each", () => {
  const held = HeldOffsets.of(
    Array.from({ length: 1000 }, (_, i) => ({ ts: i, offset: 5_000_000_000n + BigInt(i * 90) })),
  );
  assert.ok(held.pack().length <= 1000 * 2 + 5, `${held.pack().length} bytes`);
});

test("a checkpoint written as LedgerDeviceState v3 (offsets as a list) restores its held offsets", () => {
  const families = loadSchemaFamilies().map((f) =>
    f.family === "ledger-device-state" ? { ...f, versions: f.versions.filter((v) => v.version <= 3) } : f,
  );
  const v3 = new SchemaStore<WattlineRecords>(families);
  const slot = newSlot("dev-1");
  slot.offset = 41n;
  slot.held = HeldOffsets.of([
    { ts: 1000, offset: 40n },
    { ts: 2000, offset: 12n },
  ]);
  const now = schemaStore().decode(encodeSlot(slot));
  assert.equal(now.version, 6);
  const {
    held_packed: _,
    settings: __,
    unwritten: ___,
    ...rest
  } = now.record as WattlineRecords["LedgerDeviceState"];
  const old = v3.encode("LedgerDeviceState", { ...rest, held: [40, 12] } as never);
  const restored = decodeSlot("dev-1", old);
  assert.deepEqual([...restored.restoring], [40n, 12n]);
  assert.deepEqual([...decodeSlot("dev-1", encodeSlot(slot)).restoring], [40n, 12n]);
});
