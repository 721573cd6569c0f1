import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultSettings, parseRegistry, settingsFor } from "../../../pipelines/core/settings.ts";

test("defaults: UTC, no max power, 1 Wh noise, counter restarts on boot, 60 s interval", () => {
  assert.deepEqual(defaultSettings("m"), {
    device_id: "m",
    timezone: "UTC",
    max_power_w: null,
    noise_wh: 1,
    counter_persists_across_boot: false,
    expected_interval_s: 60,
  });
});

test("a registry fills in defaults, and unknown devices get them too", () => {
  const parsed = parseRegistry([
    { device_id: "a", timezone: "Asia/Kolkata", max_power_w: 3000 },
    { device_id: "b", noise_wh: null, counter_persists_across_boot: true, expected_interval_s: 10 },
  ]);
  assert.ok(parsed.ok);
  assert.deepEqual(settingsFor(parsed.registry, "a"), {
    ...defaultSettings("a"),
    timezone: "Asia/Kolkata",
    max_power_w: 3000,
  });
  assert.deepEqual(settingsFor(parsed.registry, "b"), {
    ...defaultSettings("b"),
    counter_persists_across_boot: true,
    expected_interval_s: 10,
  });
  assert.deepEqual(settingsFor(parsed.registry, "zzz"), defaultSettings("zzz"));
});

test("invalid registries are rejected with every problem and its path", () => {
  const bad = parseRegistry([
    { device_id: "a", timezone: "Mars/Olympus_Mons" },
    { device_id: "b", noise_wh: -1 },
  ]);
  assert.ok(!bad.ok);
  assert.match(bad.error, /devices\[0\]\.timezone: unknown time zone "Mars\/Olympus_Mons"/);
  assert.match(bad.error, /devices\[1\]\.noise_wh/);
  const notArray = parseRegistry({ device_id: "a" });
  assert.ok(!notArray.ok);
  assert.match(notArray.error, /JSON array/);
  const duplicate = parseRegistry([{ device_id: "a" }, { device_id: "a" }]);
  assert.ok(!duplicate.ok);
  assert.match(duplicate.error, /devices\[1\]\.device_id: duplicate device "a"/);
  for (const entry of [
    {},
    { device_id: "" },
    { device_id: "a", max_power_w: 0 },
    { device_id: "a", expected_interval_s: 0 },
  ]) {
    assert.ok(!parseRegistry([entry]).ok, JSON.stringify(entry));
  }
});
