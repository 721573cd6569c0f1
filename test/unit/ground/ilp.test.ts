// IlpBody writes the official client's bytes: any row the ledger or a replay could make, in both protocols.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Sender } from "@questdb/nodejs-client";
import fc from "fast-check";
import { IlpBody } from "../../../ground/ilp.ts";
import type { RowWriter } from "../../../ground/questdb.ts";

type Column =
  | { kind: "symbol"; name: string; value: string }
  | { kind: "string"; name: string; value: string }
  | { kind: "float"; name: string; value: number }
  | { kind: "int"; name: string; value: number }
  | { kind: "bool"; name: string; value: boolean }
  | { kind: "timestamp"; name: string; value: number; unit: "us" | "ms" };

interface Row {
  table: string;
  symbols: Column[];
  columns: Column[];
  at: { value: number; unit: "us" | "ms" };
}

const name = fc.stringMatching(/^[a-z_][a-z0-9_ =]{0,20}$/);
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom("a b", "x,y=z", 'q"\\\n\r'),
);
const epochMs = fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 });
const column: fc.Arbitrary<Column> = fc.oneof(
  fc.record({ kind: fc.constant("string" as const), name, value: text }),
  fc.record({ kind: fc.constant("float" as const), name, value: fc.double({ noNaN: true }) }),
  fc.record({ kind: fc.constant("int" as const), name, value: fc.maxSafeInteger() }),
  fc.record({ kind: fc.constant("bool" as const), name, value: fc.boolean() }),
  fc.record({
    kind: fc.constant("timestamp" as const),
    name,
    value: epochMs,
    unit: fc.constantFrom("us" as const, "ms" as const),
  }),
);
const row: fc.Arbitrary<Row> = fc.record({
  table: fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/),
  symbols: fc.array(fc.record({ kind: fc.constant("symbol" as const), name, value: text }), { maxLength: 3 }),
  columns: fc.array(column, { minLength: 1, maxLength: 4 }),
  at: fc.record({ value: epochMs, unit: fc.constantFrom("us" as const, "ms" as const) }),
});

function write(w: RowWriter, r: Row): void {
  writeHead(w, r);
  writeColumns(w, r);
}

function writeHead(w: RowWriter, r: Row): void {
  w.table(r.table);
  for (const c of r.symbols) w.symbol(c.name, c.value);
}

/** The columns and timestamp of a row whose head is written. */
function writeColumns(w: RowWriter, r: Row): void {
  for (const c of r.columns) {
    if (c.kind === "symbol") w.symbol(c.name, c.value);
    else if (c.kind === "string") w.stringColumn(c.name, c.value);
    else if (c.kind === "float") w.floatColumn(c.name, c.value);
    else if (c.kind === "int") w.intColumn(c.name, c.value);
    else if (c.kind === "bool") w.booleanColumn(c.name, c.value);
    else w.timestampColumn(c.name, c.unit === "us" ? c.value * 1000 : c.value, c.unit);
  }
  w.at(r.at.unit === "us" ? r.at.value * 1000 : r.at.value, r.at.unit);
}

async function clientBytes(protocol: 1 | 2, rows: Row[]): Promise<Buffer> {
  const sender = await Sender.fromConfig(
    `http::addr=127.0.0.1:9;protocol_version=${protocol};auto_flush=off`,
  );
  for (const r of rows) write(sender, r);
  const view = (sender as unknown as { buffer: { toBufferView(): Buffer | null } }).buffer.toBufferView();
  await sender.close();
  return Buffer.from(view ?? Buffer.alloc(0));
}

for (const protocol of [1, 2] as const) {
  test(`IlpBody writes the bytes of @questdb/nodejs-client (protocol ${protocol})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 5 }), async (rows) => {
        const body = new IlpBody(protocol === 2);
        for (const r of rows) write(body, r);
        assert.equal(body.rows, rows.length);
        assert.deepEqual(body.take(), await clientBytes(protocol, rows));
      }),
      { numRuns: 300 },
    );
  });
}

test("a row started with an encoded head has the bytes of one written whole", () => {
  fc.assert(
    fc.property(row, fc.boolean(), (r, binary) => {
      const whole = new IlpBody(binary);
      write(whole, r);
      const head = IlpBody.encodeHead((b) => writeHead(b, r));
      IlpBody.encodeHead((b) => b.table("other").symbol("s", "v")); // a head stays as it was made
      const headed = new IlpBody(binary).head(head);
      writeColumns(headed, r);
      assert.deepEqual(headed.take(), whole.take());
    }),
    { numRuns: 300 },
  );
});

test("IlpBody refuses what the client refuses, and an unfinished row is not taken", () => {
  const body = new IlpBody(true);
  assert.throws(() => body.table("a,b?"), /Invalid table name/);
  assert.throws(() => body.table("t").floatColumn("a-b", 1), /Invalid column name/);
  body.discard();
  body.table("t").floatColumn("x", 1);
  assert.throws(() => body.take(), /not finished/);
  body.discard();
  assert.equal(body.take().length, 0);
});
