import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRegistryFile } from "../../../pipelines/registry/config-parse.ts";
import { type PlannedRow, planImport } from "../../../pipelines/registry/import-plan.ts";
import { sampleYaml } from "./sample.ts";

function plan(yaml: string): PlannedRow[] {
  const parsed = parseRegistryFile(yaml, "config.yaml");
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.problems.join("\n"));
  return planImport(parsed.file);
}

const rows = plan(sampleYaml("p"));
const row = (table: string, label: string) => rows.find((r) => r.table === table && r.label === label);

test("plan: every reference points at a row planned before it", () => {
  const planned = new Set<string>();
  for (const r of rows) {
    for (const cell of [...Object.values(r.key), ...Object.values(r.values)])
      if (cell !== null && typeof cell === "object" && "ref" in cell)
        assert.ok(
          planned.has(`${cell.ref} ${cell.label}`),
          `${r.table} ${r.label} refers to ${cell.ref} ${cell.label}`,
        );
    planned.add(`${r.table} ${r.label}`);
  }
});

test("plan: a site without systems gets the default system, and its devices are in it", () => {
  assert.deepEqual(row("systems", "p-b/default")?.values, { name: "Default", description: null });
  assert.deepEqual(row("devices", "p-b-esp")?.values.system_id, { ref: "systems", label: "p-b/default" });
});

test("plan: a device takes the site's time zone and the system of the node measuring it", () => {
  const inverter = row("devices", "p-inv-1")?.values;
  assert.equal(inverter?.timezone, "Europe/Berlin");
  assert.deepEqual(inverter?.system_id, { ref: "systems", label: "p/main" });
  assert.equal(inverter?.max_power_w, 6600);
  // Measured by no node, on a site with two systems: no system; its own zone wins over the site's.
  const monitor = row("devices", "p-esp-1")?.values;
  assert.equal(monitor?.system_id, null);
  assert.equal(monitor?.timezone, "UTC");
  assert.equal(monitor?.group_name, "classroom-1");
});

test("plan: fields the file leaves out are planned as null or the default, so removing a line clears it", () => {
  assert.deepEqual(row("devices", "p-inv-2")?.values, {
    site_id: "p",
    system_id: { ref: "systems", label: "p/main" },
    group_name: null,
    kind: "inverter",
    timezone: "Europe/Berlin",
    max_power_w: null,
    noise_wh: 1,
    counter_persists_across_boot: false,
    expected_interval_s: 60,
  });
  assert.equal(row("inverters", "p/main/inv2")?.values.adapter_id, null);
});

test("plan: cells are numbered from 1 to the count, attachments join arrays of the same system", () => {
  const cells = rows.filter((r) => r.table === "cells");
  assert.deepEqual(
    cells.map((c) => c.key.cell_index),
    Array.from({ length: 16 }, (_, i) => i + 1),
  );
  assert.deepEqual(row("battery_array_attachments", "p/main/bank→roof"), {
    table: "battery_array_attachments",
    label: "p/main/bank→roof",
    key: {
      battery_array_id: { ref: "battery_arrays", label: "p/main/bank" },
      inverter_array_id: { ref: "inverter_arrays", label: "p/main/roof" },
    },
    values: { system_id: { ref: "systems", label: "p/main" } },
  });
});

test("plan: adapter settings go to a jsonb column as given", () => {
  assert.deepEqual(row("adapters", "p/main/rtu0")?.values, {
    adapter_type_id: { ref: "adapter_types", label: "p-modbus" },
    name: null,
    config: { json: { port: "/dev/ttyUSB0", unit_id: 1 } },
  });
});
