import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_FAULT_RATES } from "../../../connectors/simulator/faults.ts";
import { parseFaultRates, parseOptions } from "../../../connectors/simulator/options.ts";
import { ConfigError } from "../../../ground/config.ts";

const NOW = Date.parse("2025-05-05T10:20:30.456Z");

test("options: defaults", () => {
  const o = parseOptions({ devices: "10" }, NOW);
  assert.equal(o.devices, 10);
  assert.equal(o.intervalS, 60);
  assert.equal(o.heartbeatS, 300);
  assert.equal(o.faults, null);
  assert.equal(o.speed, 1);
  assert.equal(o.startMs, Date.parse("2025-05-05T10:20:30Z"));
  assert.deepEqual(o.timezones, ["Europe/Berlin", "Asia/Kolkata"]);
  assert.equal(o.connections, 1);
  assert.equal(o.stdout, false);
  assert.ok(Number.isInteger(o.seed) && o.seed >= 0);
  assert.equal(o.durationS, undefined);
});

test("options: values as commander passes them", () => {
  const o = parseOptions(
    {
      devices: "3",
      interval: "0.5",
      faults: true,
      seed: "7",
      start: "2025-01-01T05:30:00+05:30",
      duration: "2.5",
      speed: "max",
      siteTimezones: "UTC, America/New_York",
      dryRun: true,
    },
    NOW,
  );
  assert.equal(o.intervalS, 0.5);
  assert.deepEqual(o.faults, DEFAULT_FAULT_RATES);
  assert.equal(o.seed, 7);
  assert.equal(o.startMs, Date.parse("2025-01-01T00:00:00Z"));
  assert.equal(o.durationS, 2.5);
  assert.equal(o.speed, "max");
  assert.deepEqual(o.timezones, ["UTC", "America/New_York"]);
  assert.equal(o.stdout, true);
});

test("options: fault rates override the defaults and imply --faults", () => {
  const o = parseOptions({ devices: "1", faultRates: "reset=0.01, gap=0" }, NOW);
  assert.deepEqual(o.faults, { ...DEFAULT_FAULT_RATES, reset: 0.01, gap: 0 });
  assert.throws(() => parseFaultRates("flood=0.1"), /unknown fault "flood"/);
  assert.throws(() => parseFaultRates("dip=2"), /probability/);
  assert.throws(() => parseFaultRates("dip="), /probability/);
  assert.throws(() => parseFaultRates("dip=0.6,glitch=0.6"), /more than 1/);
});

test("options: bad values are refused with the option's name", () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ devices: "0" }, /--devices/],
    [{ devices: "ten" }, /--devices/],
    [{ devices: "2", speed: "fast" }, /--speed/],
    [{ devices: "2", interval: "-1" }, /--interval/],
    [{ devices: "2", seed: "1.5" }, /--seed/],
    [{ devices: "2", prefix: "a/b" }, /--prefix/],
    [{ devices: "2", siteTimezones: "Mars/Olympus" }, /Mars\/Olympus/],
    [{ devices: "2", start: "2025-01-01T00:00:00" }, /--start/],
  ];
  for (const [raw, message] of bad) {
    assert.throws(
      () => parseOptions({ devices: "1", ...raw }, NOW),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
      JSON.stringify(raw),
    );
  }
});
