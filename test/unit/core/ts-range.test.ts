import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../../../ground/config.ts";
import {
  DEFAULT_MAX_FUTURE_MS,
  EARLIEST_TS,
  TS_OUT_OF_RANGE,
  tsOutOfRange,
} from "../../../pipelines/core/ts-range.ts";

const receivedAt = Date.parse("2026-03-01T12:00:00Z");
const hour = 3_600_000;

test("the earliest accepted instant is 2000-01-01T00:00:00Z, the default bound one hour", () => {
  assert.equal(EARLIEST_TS, Date.parse("2000-01-01T00:00:00.000Z"));
  assert.equal(DEFAULT_MAX_FUTURE_MS, hour);
  assert.equal(TS_OUT_OF_RANGE, "ts_out_of_range");
});

test("exactly 2000-01-01T00:00:00Z is accepted, 1 ms before is refused with both instants named", () => {
  assert.equal(tsOutOfRange(EARLIEST_TS, receivedAt, hour), undefined);
  assert.equal(
    tsOutOfRange(EARLIEST_TS - 1, receivedAt, hour),
    "ts 1999-12-31T23:59:59.999Z is before 2000-01-01T00:00:00.000Z",
  );
});

test("receive time + the bound is accepted, 1 ms more is refused with the bound and the receive time named", () => {
  assert.equal(tsOutOfRange(receivedAt + hour, receivedAt, hour), undefined);
  assert.equal(
    tsOutOfRange(receivedAt + hour + 1, receivedAt, hour),
    "ts 2026-03-01T13:00:00.001Z is more than 3600000 ms after its receive time 2026-03-01T12:00:00.000Z",
  );
  // The bound is the caller's.
  assert.match(String(tsOutOfRange(receivedAt + 1, receivedAt, 0)), /more than 0 ms after/);
  assert.equal(tsOutOfRange(receivedAt, receivedAt, 0), undefined);
  assert.equal(tsOutOfRange(receivedAt + 5 * hour, receivedAt, 6 * hour), undefined);
});

test("the past after 2000 is always in range: backfills and readings received late are fine", () => {
  assert.equal(tsOutOfRange(Date.parse("2003-02-10T00:00:00Z"), receivedAt, hour), undefined);
  assert.equal(tsOutOfRange(receivedAt - 1, receivedAt, hour), undefined);
  // A reading without a device time carries its receive time: in range.
  assert.equal(tsOutOfRange(receivedAt, receivedAt, hour), undefined);
});

test("what the issue saw: year 0, 1969, 1990 and 9999 are refused; nothing throws on absurd numbers", () => {
  for (const iso of [
    "0000-01-01T00:00:00Z",
    "1969-12-31T23:00:00Z",
    "1990-06-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
  ]) {
    assert.ok(tsOutOfRange(Date.parse(iso), receivedAt, hour), iso);
  }
  assert.match(String(tsOutOfRange(Date.parse("1990-06-01T00:00:00Z"), receivedAt, hour)), /before 2000/);
  assert.match(String(tsOutOfRange(8.64e15, receivedAt, hour)), /\+275760-09-13T00:00:00\.000Z is more than/);
  assert.match(String(tsOutOfRange(-8.64e15, receivedAt, hour)), /before/);
  assert.match(String(tsOutOfRange(Number.NaN, receivedAt, hour)), /not a time/);
  assert.match(String(tsOutOfRange(Number.POSITIVE_INFINITY, receivedAt, hour)), /not a time/);
  // A receive time that is not a number refuses rather than lets anything through.
  assert.match(String(tsOutOfRange(receivedAt, Number.NaN, hour)), /receive time NaN/);
});

test("WATTLINE_MAX_FUTURE_MS: default one hour, set in ms, a bad value names the variable", () => {
  const base = { WATTLINE_STATE_DIR: "/nonexistent/wattline-state" };
  assert.equal(loadConfig(base).ingest.maxFutureMs, hour);
  assert.equal(loadConfig({ ...base, WATTLINE_MAX_FUTURE_MS: "60000" }).ingest.maxFutureMs, 60_000);
  assert.equal(loadConfig({ ...base, WATTLINE_MAX_FUTURE_MS: "0" }).ingest.maxFutureMs, 0);
  assert.throws(() => loadConfig({ ...base, WATTLINE_MAX_FUTURE_MS: "-1" }), /WATTLINE_MAX_FUTURE_MS/);
  assert.throws(() => loadConfig({ ...base, WATTLINE_MAX_FUTURE_MS: "soon" }), /WATTLINE_MAX_FUTURE_MS/);
});
