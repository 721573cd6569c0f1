// Issue 11: the HopeCloud response parser, fed generated records (loose numbers as strings of any length, NaN and
// Infinity, long texts, wrong types, anything at all), turns every record into one Wattline record or one bounded
// dead letter with its reason; no record ever carries a number that is not finite. Pure.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { divertor, realtime } from "../../../connectors/hopecloud/api/shapes.ts";
import { validateRecords } from "../../../connectors/hopecloud/client/listing.ts";
import { rejectedRecord } from "../../../connectors/hopecloud/connector/dead-letter.ts";
import {
  type Converted,
  moduleRecords,
  readingRecords,
} from "../../../connectors/hopecloud/records/convert.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import type { WattlineRecords } from "../../../schemas/generated/types.ts";

const store = schemaStore();
const NOW = Date.parse("2026-03-01T12:00:00Z");

const loose = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom("NaN", "Infinity", "-Infinity", "", null, "1e400", "12.5", "-0", "0x10"),
  fc.integer({ min: 1, max: 500 }).map((n) => "9".repeat(n)),
  fc
    .tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 }))
    .map(([a, b]) => `${"1".repeat(a)}.${"5".repeat(b)}`),
  fc.string({ maxLength: 30 }),
);
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer({ min: 200, max: 5000 }).map((n) => "t".repeat(n)),
  fc.constant(null),
);
const id = fc.oneof(
  fc.stringMatching(/^[0-9]{1,19}$/),
  fc.integer({ min: 150, max: 300 }).map((n) => "7".repeat(n)),
  fc.integer(),
);
const localTime = fc.oneof(
  fc
    .date({ min: new Date("1900-01-01"), max: new Date("2200-01-01"), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 19).replace("T", " ")),
  fc.constantFrom("2026-03-01 13:00:00", "2026-02-30 10:00:00", "yesterday", ""),
);

const realtimeRaw = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record(
      {
        sn: id,
        timestamp: localTime,
        totalKwh: loose,
        todayKwh: loose,
        activePower: loose,
        voltage: loose,
        current: loose,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.anything() },
);
const divertorRaw = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record(
      {
        id,
        powerPlantId: fc.constantFrom("p1", "p2"),
        divertorName: text,
        userName: text,
        rssi: loose,
        loadedNumber: loose,
        longitude: loose,
        latitude: loose,
        status: loose,
        updateTime: localTime,
        startTime: localTime,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.anything() },
);

/** Every raw record is one finite, encodable record or one bounded dead letter that says why. */
function check<N extends "TelemetryReading" | "HopeCloudModule">(
  name: N,
  raws: unknown[],
  out: Converted<WattlineRecords[N]>,
) {
  assert.equal(out.records.length + out.rejected.length, raws.length);
  for (const r of out.records) {
    assert.ok(
      Object.values(r).every((v) => typeof v !== "number" || Number.isFinite(v)),
      JSON.stringify(r),
    );
    store.encode(name, r);
  }
  for (const r of out.rejected) {
    const letter = rejectedRecord("/endpoint", r, NOW);
    assert.ok(letter.payload.length <= 4096 && letter.reason.length > 0 && letter.details);
    store.encode("DeadLetter", letter);
  }
}

test("realtime records: each is one finite, encodable reading or one bounded dead letter", () => {
  fc.assert(
    fc.property(fc.array(realtimeRaw, { maxLength: 20 }), (raws) =>
      check(
        "TelemetryReading",
        raws,
        readingRecords(validateRecords(realtime, raws), "Asia/Kolkata", NOW, 3_600_000),
      ),
    ),
    { numRuns: 300 },
  );
});

test("module records: each is one encodable module or one bounded dead letter", () => {
  const ctx = { plantId: "p1", zone: "Europe/Berlin", fetchedAt: NOW };
  fc.assert(
    fc.property(fc.array(divertorRaw, { maxLength: 20 }), (raws) =>
      check("HopeCloudModule", raws, moduleRecords(validateRecords(divertor, raws), ctx)),
    ),
    { numRuns: 300 },
  );
});

test("a 400-digit decimal is refused with its field named, not turned into Infinity", () => {
  const raw = { sn: "INV1", timestamp: "2026-03-01 13:00:00", totalKwh: "9".repeat(400) };
  const out = readingRecords(validateRecords(realtime, [raw]), "UTC", NOW, 3_600_000);
  assert.equal(out.records.length, 0);
  assert.match(out.rejected[0]?.problems ?? "", /^totalKwh:/);
});
