// The `wattline compute` shell: line numbers on stderr, output order, and its errors and exit codes.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { loadRegistry, runCompute } from "../../../pipelines/compute/command.ts";
import type { Registry } from "../../../pipelines/core/settings.ts";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "wattline-compute-test-"));
});
after(() => rm(dir, { recursive: true, force: true }));

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

async function run(lines: string[], registry: Registry = new Map()) {
  const out = sink();
  const err = sink();
  const summary = await runCompute({
    input: Readable.from([lines.join("\n")]),
    registry,
    out: out.stream,
    err: err.stream,
  });
  const rows = out
    .text()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
  return { summary, rows, stderr: err.text() };
}

const line = (device_id: string, ts: string, energy: number, extra = "") =>
  `{"device_id":"${device_id}","ts":"${ts}","energy_wh_total":${energy}${extra}}`;

test("event lines mixed with readings: a swap is accounted, an invalid event goes to stderr with its line", async () => {
  const swap = (fields: string) => `{"kind":"meter_replacement","device_id":"m",${fields}}`;
  const { stderr, rows, summary } = await run([
    swap('"ts":"2025-01-01T01:30:00Z","old_final_wh_total":130,"new_initial_wh_total":5'),
    line("m", "2025-01-01T00:00:00Z", 0),
    line("m", "2025-01-01T02:00:00Z", 45),
    swap('"ts":"2025-01-01T01:45:00Z","old_final_wh_total":-1'),
    line("m", "2025-01-01T01:00:00Z", 100),
    swap('"old_final_wh_total":1'),
  ]);
  assert.equal(stderr, "line 4: old_final_wh_total: must not be negative\nline 6: ts: missing\n");
  assert.deepEqual(summary, { lines: 6, invalid: 2, readings: 3, replacements: 1, devices: 1 });
  const daily = rows.find((r) => r.kind === "daily");
  assert.deepEqual([daily.energy_wh, daily.resets, daily.replacements], [170, 0, 1]);
  assert.deepEqual(
    rows
      .filter((r) => r.kind === "hourly")
      .map((r) => [r.hour_start.slice(11, 16), r.energy_wh, r.replacements]),
    [
      ["00:00", 100, 0],
      ["01:00", 70, 1],
    ],
  );
});

test("invalid lines go to stderr with their 1-based line number; blank lines are skipped silently", async () => {
  const { stderr, rows, summary } = await run([
    line("m", "2025-01-01T00:00:00Z", 0),
    "",
    "{oops",
    "   ",
    line("m", "2025-01-01T01:00:00", 5),
    line("m", "2025-01-01T01:00:00Z", 100),
  ]);
  assert.equal(stderr, "line 3: not valid JSON\nline 5: ts: no time-zone offset (add Z or ±hh:mm)\n");
  assert.deepEqual(summary, { lines: 6, invalid: 2, readings: 2, replacements: 0, devices: 1 });
  assert.deepEqual(
    rows.map((r) => [r.kind, r.energy_wh]),
    [
      ["hourly", 100],
      ["daily", 100],
    ],
  );
});

test("output: per device (sorted), hourly rows then daily rows in time order; anomalies after all of them", async () => {
  const { rows } = await run([
    line("b", "2025-01-02T00:00:00Z", 0),
    line("a", "2025-01-01T01:30:00Z", 60),
    line("b", "2025-01-02T00:30:00Z", 100),
    line("a", "2025-01-01T00:30:00Z", 0),
    line("b", "2025-01-02T00:40:00Z", 0),
    line("b", "2025-01-02T00:50:00Z", 101),
  ]);
  assert.deepEqual(
    rows.map((r) => [r.kind, r.device_id, r.hour_start ?? r.date ?? r.ts, r.energy_wh ?? r.type]),
    [
      ["hourly", "a", "2025-01-01T00:00:00.000Z", 30],
      ["hourly", "a", "2025-01-01T01:00:00.000Z", 30],
      ["daily", "a", "2025-01-01", 60],
      ["hourly", "b", "2025-01-02T00:00:00.000Z", 101],
      ["daily", "b", "2025-01-02", 101],
      ["anomaly", "b", "2025-01-02T00:40:00.000Z", "glitch_dropped"],
    ],
  );
});

test("device settings come from the registry", async () => {
  const registry = await registryFile('[{"device_id":"k","timezone":"Asia/Kolkata"}]');
  const { rows } = await run(
    [line("k", "2025-01-01T00:00:00Z", 0), line("k", "2025-01-01T01:00:00Z", 60)],
    registry,
  );
  assert.deepEqual(
    rows.filter((r) => r.kind === "hourly").map((r) => r.hour_start),
    ["2024-12-31T23:30:00.000Z", "2025-01-01T00:30:00.000Z"],
  );
});

async function registryFile(text: string) {
  const path = join(dir, "devices.json");
  await writeFile(path, text);
  return loadRegistry(path);
}

const exec = promisify(execFile);
const cli = (args: string[]) =>
  exec(process.execPath, ["bin/wattline.js", "compute", ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

test("the command: exit 0 with invalid lines, a clear error and exit 2 for a bad devices file or input", async () => {
  const input = join(dir, "readings.ndjson");
  await writeFile(
    input,
    `${line("m", "2025-01-01T00:00:00Z", 0)}\nnope\n${line("m", "2025-01-01T01:00:00Z", 7)}\n`,
  );
  await writeFile(join(dir, "bad.json"), '[{"device_id":"m","timezone":"Nowhere/Else"}]');
  await writeFile(join(dir, "broken.json"), "[{");

  const ok = await cli(["--input", input]);
  assert.equal(ok.code, 0);
  assert.equal(ok.stderr, "line 2: not valid JSON\n");
  assert.match(
    ok.stdout,
    /"kind":"hourly","device_id":"m","hour_start":"2025-01-01T00:00:00.000Z","energy_wh":7/,
  );

  const failures = [
    [["--input", input, "--devices", join(dir, "missing.json")], /cannot read devices file .*missing\.json/],
    [
      ["--input", input, "--devices", join(dir, "bad.json")],
      /devices\[0\]\.timezone: unknown time zone "Nowhere\/Else"/,
    ],
    [["--input", input, "--devices", join(dir, "broken.json")], /not valid JSON/],
    [["--input", join(dir, "missing.ndjson")], /cannot read input .*missing\.ndjson/],
  ] as const;
  for (const [args, message] of failures) {
    const failed = await cli([...args]);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, message);
    assert.equal(failed.stdout, "");
  }
});
