import assert from "node:assert/strict";
import { test } from "node:test";
import { formatReconcileReport } from "../../../pipelines/registry/charging-report.ts";
import { formatImportReport, totals } from "../../../pipelines/registry/import-report.ts";

test("import report: counts per table, then what was created and changed", () => {
  const items = [
    { table: "sites" as const, label: "berlin", outcome: "unchanged" as const, changed: [] },
    { table: "devices" as const, label: "inv-1", outcome: "changed" as const, changed: ["max_power_w"] },
    { table: "devices" as const, label: "inv-2", outcome: "created" as const, changed: [] },
  ];
  assert.deepEqual(totals(items), {
    sites: { created: 0, changed: 0, unchanged: 1 },
    devices: { created: 1, changed: 1, unchanged: 0 },
  });
  const text = formatImportReport({ dryRun: true, items });
  assert.match(text, /^dry run: nothing was written\n/);
  assert.match(text, /\ndevices +1 +1 +0\n/);
  assert.match(text, /\nchanged devices inv-1: max_power_w\n/);
  assert.match(text, /\ncreated devices inv-2\n/);
  assert.match(text, /\n1 of 3 rows unchanged\n$/);
});

test("reconcile report: per station what was (or would be) created, then the stations not found", () => {
  const station = { station_id: "7", external_id: "ab-cd", reported_id: "abcd", created_ids: [] };
  const text = formatReconcileReport({
    dry_run: true,
    stations: [
      { ...station, count: 3, existing: 1, add: [2, 3] },
      { ...station, count: 1, existing: 2, add: [] },
    ],
    not_found: ["zz-yy"],
    created: 2,
  });
  assert.equal(
    text,
    [
      "station ab-cd (reported as abcd): 3 connector(s), 1 point(s): would create point(s) 2, 3",
      "station ab-cd (reported as abcd): 1 connector(s), 2 point(s): more points than connectors, left alone",
      "stations not found (1):",
      "  zz-yy",
      "dry run: would create 2 charging point(s); nothing was written",
      "",
    ].join("\n"),
  );
});
