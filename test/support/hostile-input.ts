// fast-check generators of what a hostile or broken device sends: random bytes, invalid UTF-8, deep or huge JSON,
// NaN and Infinity as strings, huge numbers, long ids, far-past and far-future times. Shared by the fuzz tests of
// the MQTT and file connectors.
import fc from "fast-check";

const NOW = Date.now();
const YEAR = 365 * 86_400_000;

/** A JSON number or string as raw JSON text, including what JSON.stringify could never write. */
const numberText = fc.oneof(
  fc.double().map((d) => (Number.isFinite(d) ? String(d) : JSON.stringify(String(d)))),
  fc.integer().map(String),
  fc.constantFrom("1e400", "-1e400", '"NaN"', '"Infinity"', '"-Infinity"', "1e308", "-0", "0", '"12"'),
  fc.integer({ min: 20, max: 500 }).map((n) => "9".repeat(n)),
);

const tsText = fc.oneof(
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map(String),
  fc
    .integer({ min: NOW - 30 * YEAR, max: NOW + 30 * YEAR })
    .map((t) => JSON.stringify(new Date(t).toISOString())),
  fc.integer({ min: NOW - 3_600_000, max: NOW }).map(String),
  fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s)),
  numberText,
);

const longText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer({ min: 150, max: 70_000 }).map((n) => "b".repeat(n)),
);

/** A telemetry, heartbeat or status object with fields of every kind of wrong. */
const objectText = fc
  .record(
    {
      energy_wh_total: numberText,
      power_w: numberText,
      ts: tsText,
      boot_id: longText.map((s) => JSON.stringify(s)),
      firmware: longText.map((s) => JSON.stringify(s)),
      seq: numberText,
      status: fc.constantFrom('"online"', '"offline"', '"maybe"', "1"),
      count: numberText,
    },
    { requiredKeys: [] },
  )
  .map(
    (o) =>
      `{${Object.entries(o)
        .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
        .join(",")}}`,
  );

const deepJson = fc.integer({ min: 1, max: 100_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`);

/** Up to `max` bytes of one JSON string: a message at the broker's limit. */
const hugeJson = (max: number) =>
  fc.integer({ min: 60_000, max: max - 16 }).map((n) => JSON.stringify("x".repeat(n)));

const invalidUtf8 = fc
  .tuple(objectText, fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80]))
  .map(([text, bad]) =>
    Buffer.concat([Buffer.from(text.slice(0, 1)), Buffer.from(bad), Buffer.from(text.slice(1))]),
  );

/** A reading the connector accepts, so that good input is fuzzed in among the bad. */
const goodText = fc
  .record({ energy: fc.nat(), ts: fc.integer({ min: NOW - 86_400_000, max: NOW }) })
  .map(({ energy, ts }) => JSON.stringify({ energy_wh_total: energy, ts, status: "online" }));

/** A payload: mostly plausible-looking JSON, some bytes, a few very large. */
export const payloadArb = (maxBytes: number): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 4, arbitrary: goodText.map((t) => Buffer.from(t)) },
    { weight: 6, arbitrary: objectText.map((t) => Buffer.from(t)) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)) },
    { weight: 2, arbitrary: invalidUtf8 },
    { weight: 1, arbitrary: deepJson.map((t) => Buffer.from(t)) },
    { weight: 1, arbitrary: numberText.map((t) => Buffer.from(t)) },
    { weight: 1, arbitrary: hugeJson(maxBytes).map((t) => Buffer.from(t)) },
  );

/** An id level: short, or longer than any limit. */
export const idSuffixArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 20_000 }).map((n) => `-${"i".repeat(n)}`) },
);

/** MQTT topic levels of the routes, and some no route matches; `{id}` is where the device id goes. */
export const topicArb = fc.constantFrom(
  "autovolt/{id}/telemetry",
  "autovolt/{id}/telemetry",
  "autovolt/{id}/status",
  "autovolt/{id}/heartbeat",
  "acc/sweet-home/{id}/status-control/connectors-count",
  "autovolt/{id}/firmware",
  "autovolt/{id}",
  "autovolt/{id}/unknown/levels",
);
