import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRegistryFile } from "../../../pipelines/registry/config-parse.ts";
import { lineOf, sampleYaml } from "./sample.ts";

const yaml = sampleYaml("s1");

function problems(text: string): string[] {
  const result = parseRegistryFile(text, "config.yaml");
  assert.equal(result.ok, false, "the file should be rejected");
  return result.ok ? [] : result.problems;
}

test("parse: the sample file is valid and gets the documented defaults", () => {
  const result = parseRegistryFile(yaml, "config.yaml");
  assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
  const [berlin, pune] = result.file.sites;
  assert.equal(pune?.emission_factor_kg_per_kwh, 0.5);
  assert.deepEqual(pune?.systems, []);
  const grid = berlin?.devices.find((d) => d.id === "s1-grid");
  assert.deepEqual(
    { ...grid },
    {
      id: "s1-grid",
      kind: "meter",
      noise_wh: 1,
      counter_persists_across_boot: false,
      expected_interval_s: 10,
    },
  );
});

test("parse: a YAML syntax error names file:line:column", () => {
  assert.deepEqual(problems("sites:\n  - id: a\n    name: x: y\n"), [
    "config.yaml:3:11: Nested mappings are not allowed in compact mappings",
  ]);
  assert.deepEqual(problems("sites:\n\t- id: a\n"), ["config.yaml:2:1: Tabs are not allowed as indentation"]);
  assert.match(
    problems("sites:\n  - id: a\n    id: b\n")[0] ?? "",
    /^config\.yaml:3:5: Map keys must be unique/,
  );
});

test("parse: a schema error names the path and the line of the bad value", () => {
  const bad = yaml.replace("rated_power_w: 5000", "rated_power_w: -5000");
  const [problem] = problems(bad);
  const line = lineOf(bad, "rated_power_w: -5000");
  assert.equal(
    problem,
    `config.yaml:${line}:28: sites[0].systems[0].inverters[1].rated_power_w: Too small: expected number to be >0`,
  );
});

test("parse: unknown fields, missing fields and bad values are each reported, in file order", () => {
  const bad = yaml
    .replace("        rated_power_w: 6000", "        rated_power: 6000")
    .replace("    name: Pune office\n", "")
    .replace("kind: battery", "kind: batery")
    .replace("timezone: Asia/Kolkata", "timezone: Asia/Pune");
  const found = problems(bad);
  assert.deepEqual(found, [
    `config.yaml:${lineOf(bad, "rated_power: 6000")}:13: sites[0].systems[0].inverters[0].rated_power: unknown field`,
    `config.yaml:${lineOf(bad, "kind: batery")}:15: sites[0].devices[2].kind: Invalid option: expected one of "inverter"|"battery"|"meter"|"ev_charger"|"classroom"|"other"`,
    `config.yaml:${lineOf(bad, "id: s1-b")}:5: sites[1].name: required`,
    `config.yaml:${lineOf(bad, "Asia/Pune")}:15: sites[1].timezone: unknown IANA time zone "Asia/Pune"`,
  ]);
});

test("parse: an unquoted HopeCloud plant id is refused with the reason", () => {
  const bad = yaml.replace(
    "    timezone: Asia/Kolkata",
    "    timezone: Asia/Kolkata\n    hopecloud_plant_id: 1931572113875873794",
  );
  assert.match(problems(bad)[0] ?? "", /sites\[1\]\.hopecloud_plant_id: must be a quoted string/);
});

test("parse: references that point nowhere or twice are reported where they are", () => {
  const bad = yaml
    .replace("array: roof", "array: attic")
    .replace("type: s1-modbus", "type: s1-can")
    .replace("attached_to: [ground, roof]", "attached_to: [ground, ground]")
    .replace("device_id: s1-grid", "device_id: s1-inv-1")
    .replace("- id: s1-b-esp", "- id: s1-esp-1")
    .replace("key: annex", "key: main");
  assert.deepEqual(
    problems(bad).map((p) => p.replace(/^config\.yaml:\d+:\d+: /, "")),
    [
      'sites[0].systems[0].adapters[0].type: no adapter type "s1-can" in adapter_types',
      'sites[0].systems[0].inverters[1].array: no inverter array "attic" in this system',
      'sites[0].systems[0].battery_arrays[0].attached_to[1]: duplicate attachment "ground" (first at sites[0].systems[0].battery_arrays[0].attached_to[0])',
      'sites[0].systems[0].meters[0].device_id: device "s1-inv-1" is already used by sites[0].systems[0].inverters[0]',
      'sites[0].systems[1].key: duplicate system key "main" (first at sites[0].systems[0].key)',
      'sites[1].devices[0].id: duplicate device id "s1-esp-1" (first at sites[0].devices[4].id)',
    ],
  );
});

test("parse: a device declared in one system cannot be measured by a node of another", () => {
  const bad = yaml.replace("kind: battery", "kind: battery\n        system: annex");
  assert.deepEqual(problems(bad), [
    `config.yaml:${lineOf(bad, "device_id: s1-bat-1")}:24: sites[0].systems[0].battery_packs[0].device_id: device "s1-bat-1" is declared in system "annex"`,
  ]);
});

test("parse: an empty file says so", () => {
  assert.deepEqual(problems("# nothing\n"), ["config.yaml:1:1: the file is empty"]);
});
