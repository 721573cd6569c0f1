import assert from "node:assert/strict";
import { test } from "node:test";
import type { Schema } from "avsc";
import { CodecError } from "../../../schemas/codec/errors.ts";
import { SchemaStore, schemaStore } from "../../../schemas/codec/schema-store.ts";
import type { RecordName, TelemetryReading } from "../../../schemas/generated/types.ts";
import { SAMPLES } from "./samples.ts";

const store = schemaStore();
const reading = (SAMPLES.TelemetryReading[0] ?? assert.fail("no sample")) satisfies TelemetryReading;

/** A decoded record without avsc's record classes (nested records decode as instances of them). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== "object" || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

test("every checked-in record type round-trips through the store", () => {
  assert.deepEqual([...store.names].sort(), Object.keys(SAMPLES).sort(), "a sample per record schema");
  for (const name of store.names as RecordName[]) {
    for (const record of SAMPLES[name]) {
      const decoded = store.decode(store.encode(name, record));
      assert.equal(decoded.name, name);
      assert.equal(decoded.version, store.latest(name).version);
      assert.deepEqual(plain(decoded.record), record, name);
    }
  }
});

test("a message is C3 01, the writer fingerprint little-endian, then the plain Avro body", () => {
  const message = store.encode("TelemetryReading", reading);
  const { type, fingerprint } = store.latest("TelemetryReading");
  assert.deepEqual([...message.subarray(0, 2)], [0xc3, 0x01]);
  assert.equal(message.readBigUInt64LE(2), fingerprint);
  assert.deepEqual(message.subarray(10), type.toBuffer(reading));
});

test("each encoded message owns its bytes, also past the scratch buffer size", () => {
  const big = { ...(SAMPLES.DeadLetter[0] ?? assert.fail("no sample")), payload: Buffer.alloc(100_000, 7) };
  const first = store.encode("TelemetryReading", reading);
  const second = store.encode("DeadLetter", big);
  store.encode("TelemetryReading", { ...reading, device_id: "other" });
  assert.deepEqual({ ...store.decode(first).record }, reading);
  assert.deepEqual({ ...store.decode(second).record }, big);
});

test("optional fields may be left out and encode as their default", () => {
  const { power_w, boot_id, seq, switch_state, voltage_v, current_a, ...required } = reading;
  const decoded = store.decode(store.encode("TelemetryReading", required as TelemetryReading));
  assert.equal(decoded.name, "TelemetryReading");
  assert.equal(decoded.record.power_w, null);
  assert.equal(decoded.record.seq, null);
});

function assertInvalid(record: unknown, field: string, message: RegExp): void {
  assert.throws(
    () => store.encode("TelemetryReading", record as TelemetryReading),
    (error: unknown) => {
      assert.ok(error instanceof CodecError);
      assert.equal(error.code, "invalid_record");
      assert.ok(error.fields.includes(field), `fields ${error.fields.join(",")} include ${field}`);
      assert.match(error.message, message);
      return true;
    },
  );
}

test("an invalid record is refused with the bad field named", () => {
  const { device_id, ...withoutId } = reading;
  assertInvalid(
    withoutId,
    "device_id",
    /invalid TelemetryReading: device_id: expected "string", got nothing \(missing\)/,
  );
  assertInvalid(
    { ...reading, energy_wh_total: "12.5" },
    "energy_wh_total",
    /energy_wh_total: expected "double", got string "12.5"/,
  );
  assertInvalid({ ...reading, power_w: "3" }, "power_w", /power_w: expected \["null","double"\]/);
  assertInvalid({ ...reading, seq: 1.5 }, "seq", /seq: .*got number 1.5/);
  assertInvalid(
    { ...reading, ts_source: "guessed" },
    "ts_source",
    /ts_source: expected io.wattline.TimestampSource/,
  );
  assertInvalid({ ...reading, powerW: 3 }, "powerW", /powerW: not a field of the schema/);
});

test("every bad field is named, not only the first", () => {
  assert.throws(
    () =>
      store.encode("TelemetryReading", {
        ...reading,
        device_id: 7,
        received_at: null,
      } as unknown as TelemetryReading),
    { code: "invalid_record", fields: ["device_id", "received_at"] },
  );
});

test("encoding an unknown record name is refused", () => {
  const loose = store as unknown as SchemaStore<Record<string, unknown>>;
  assert.throws(() => loose.encode("Nope", {}), {
    code: "unknown_record",
    message: /no schema loaded for record Nope/,
  });
});

test("decoding refuses what is not a single-object message", () => {
  for (const input of [
    Buffer.from('{"device_id":"x"}'),
    Buffer.alloc(0),
    Buffer.from([0xc3, 0x02, 0, 0, 0, 0, 0, 0, 0, 0]),
  ]) {
    assert.throws(() => store.decode(input), {
      code: "bad_marker",
      message: /not an Avro single-object message/,
    });
  }
});

test("decoding refuses an unknown writer fingerprint, naming it", () => {
  const message = Buffer.from(store.encode("TelemetryReading", reading));
  message.writeBigUInt64LE(0x0123456789abcdefn, 2);
  assert.throws(() => store.decode(message), {
    code: "unknown_fingerprint",
    message: /unknown writer schema fingerprint 0123456789abcdef/,
  });
});

test("decoding refuses a truncated header or body", () => {
  const message = store.encode("TelemetryReading", reading);
  assert.throws(() => store.decode(message.subarray(0, 6)), {
    code: "truncated",
    message: /header: 6 of 10 bytes/,
  });
  assert.throws(() => store.decode(message.subarray(0, 10)), {
    code: "truncated",
    message: /truncated Avro body/,
  });
  assert.throws(() => store.decode(message.subarray(0, message.length - 3)), { code: "truncated" });
});

test("every prefix of every sample message is refused as truncated, never half-decoded", () => {
  for (const name of store.names as RecordName[]) {
    for (const record of SAMPLES[name]) {
      const message = store.encode(name, record);
      for (let length = 2; length < message.length; length++) {
        assert.throws(
          () => store.decode(message.subarray(0, length)),
          { code: "truncated" },
          `${name} ${length}`,
        );
      }
    }
  }
});

test("decoding refuses bytes after the body", () => {
  const message = Buffer.concat([store.encode("TelemetryReading", reading), Buffer.from([0])]);
  assert.throws(() => store.decode(message), {
    code: "trailing_bytes",
    message: /1 unexpected bytes after the Avro body/,
  });
});

// Test-only schemas for evolution: v2 adds two fields with defaults and widens an int to a long.
const V1: Schema = {
  type: "record",
  name: "Meter",
  namespace: "io.wattline.test",
  fields: [
    { name: "device_id", type: "string" },
    { name: "phases", type: "int" },
  ],
};
const V2: Schema = {
  type: "record",
  name: "Meter",
  namespace: "io.wattline.test",
  fields: [
    { name: "device_id", type: "string" },
    { name: "phases", type: "long" },
    { name: "unit", type: "string", default: "Wh" },
    { name: "tariff", type: ["null", "string"], default: null },
  ],
};
type Meters = { Meter: { device_id: string; phases: number; unit?: string; tariff?: string | null } };

test("a message written with v1 decodes after a compatible v2, with v2's defaults", () => {
  const before = new SchemaStore<Meters>([{ family: "meter", versions: [{ version: 1, schema: V1 }] }]);
  const after = new SchemaStore<Meters>([
    {
      family: "meter",
      versions: [
        { version: 1, schema: V1 },
        { version: 2, schema: V2 },
      ],
    },
  ]);
  const old = before.encode("Meter", { device_id: "m-1", phases: 3 });
  const decoded = after.decode(old);
  assert.equal(decoded.name, "Meter");
  assert.equal(decoded.version, 1, "the writer's version");
  assert.deepEqual({ ...decoded.record }, { device_id: "m-1", phases: 3, unit: "Wh", tariff: null });
  // New messages name v2, which a not yet upgraded reader does not know: upgrade consumers first.
  const fresh = after.encode("Meter", { device_id: "m-1", phases: 3, unit: "kWh", tariff: "night" });
  assert.equal(after.decode(fresh).version, 2);
  assert.throws(() => before.decode(fresh), { code: "unknown_fingerprint" });
});

test("the store refuses version gaps, renamed records, incompatible and encoding-neutral versions", () => {
  const family = (...schemas: [number, Schema][]) => [
    { family: "meter", versions: schemas.map(([version, schema]) => ({ version, schema })) },
  ];
  assert.throws(() => new SchemaStore(family([1, V1], [3, V2])), /versions must run 1\.\.N without gaps/);
  assert.throws(
    () => new SchemaStore(family([1, V1], [2, { ...V2, name: "Other" } as Schema])),
    /names Meter.*names Other/,
  );
  assert.throws(
    () =>
      new SchemaStore(
        family([1, V1], [2, { ...V1, fields: [{ name: "device_id", type: "int" }] } as Schema]),
      ),
    /Meter v2 cannot read v1/,
  );
  assert.throws(
    () => new SchemaStore(family([1, V1], [2, { ...V1, doc: "only a doc change" } as Schema])),
    /Meter v2 has the same canonical form as Meter v1/,
  );
});
