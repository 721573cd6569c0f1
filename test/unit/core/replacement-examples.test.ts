// Every worked example of ENERGY_SEMANTICS.md's "Meter replacement", through the batch core and the printed rows,
// and the same inputs through the stream fold in reverse order (within the allowed lateness).
import assert from "node:assert/strict";
import { test } from "node:test";
import { computeDevice } from "../../../pipelines/core/batch.ts";
import { finish, ingest, initialStreamState } from "../../../pipelines/core/device-stream.ts";
import type { Output } from "../../../pipelines/core/outputs.ts";
import type { DeviceInput } from "../../../pipelines/core/replacement.ts";
import { anomalyRows, type DailyRow, energyRows, type HourlyRow } from "../../../pipelines/core/rows.ts";
import { at, rollupOf, settings, swap } from "./helpers.ts";

interface Expected {
  hourly: Record<string, number>;
  energy_wh: number;
  resets: number;
  anomalies?: string[];
}

const h = (time: string) => `2025-01-01T${time}:00.000Z`;

function check(inputs: DeviceInput[], expected: Expected): void {
  const s = settings();
  const result = computeDevice(inputs, s);
  const rows = energyRows(result);
  const hourly = rows.filter((r): r is HourlyRow => r.kind === "hourly");
  const daily = rows.filter((r): r is DailyRow => r.kind === "daily");
  assert.deepEqual(Object.fromEntries(hourly.map((r) => [r.hour_start, r.energy_wh])), expected.hourly);
  assert.deepEqual(
    daily.map((d) => [d.date, d.energy_wh, d.resets, d.replacements]),
    [["2025-01-01", expected.energy_wh, expected.resets, 1]],
  );
  assert.deepEqual(
    anomalyRows(result).map((a) => a.type),
    expected.anomalies ?? [],
  );
  let state = initialStreamState;
  const outputs: Output[] = [];
  for (const input of [...inputs].reverse()) {
    const step = ingest(state, input, s, 3 * 3_600_000);
    state = step.state;
    outputs.push(...step.outputs);
  }
  outputs.push(...finish(state, s).outputs);
  assert.deepEqual(rollupOf(outputs, s), { hourly: result.hourly, daily: result.daily });
}

const EXAMPLES: Array<[string, DeviceInput[], Expected]> = [
  [
    "00:00 0, 01:00 100, swap@01:30 final 130 new 5, 02:00 45 → 170 Wh, 0 resets, 1 replacement",
    [at("00:00", 0), at("01:00", 100), swap("01:30", 130, 5), at("02:00", 45)],
    { hourly: { [h("00:00")]: 100, [h("01:00")]: 70 }, energy_wh: 170, resets: 0 },
  ],
  [
    "00:00 0, 01:00 100, swap@01:30, 02:00 45 → 145 Wh: (01:00, 01:30] is unknown, the new counter starts at 0",
    [at("00:00", 0), at("01:00", 100), swap("01:30", null), at("02:00", 45)],
    { hourly: { [h("00:00")]: 100, [h("01:00")]: 45 }, energy_wh: 145, resets: 0 },
  ],
  [
    "01:10 0 then swap@01:30 final 130 new 0 → 170 Wh, 0 resets: the zero was a glitch, judged against the final value",
    [at("00:00", 0), at("01:00", 100), at("01:10", 0), swap("01:30", 130), at("02:00", 40)],
    {
      hourly: { [h("00:00")]: 100, [h("01:00")]: 70 },
      energy_wh: 170,
      resets: 0,
      anomalies: ["glitch_dropped"],
    },
  ],
  [
    "01:10 3 then swap@01:30 new 0 → 143 Wh, 1 reset: without a final value the suspect is applied",
    [at("00:00", 0), at("01:00", 100), at("01:10", 3), swap("01:30", null), at("02:00", 40)],
    { hourly: { [h("00:00")]: 100, [h("01:00")]: 43 }, energy_wh: 143, resets: 1 },
  ],
  [
    "swap@01:30 final 50 new 0 → 140 Wh: a final value below the counter carries nothing",
    [at("00:00", 0), at("01:00", 100), swap("01:30", 50), at("02:00", 40)],
    { hourly: { [h("00:00")]: 100, [h("01:00")]: 40 }, energy_wh: 140, resets: 0 },
  ],
  [
    "swap@00:00 new 10, 01:00 60 → 50 Wh: the first reading counts from the new counter's start",
    [swap("00:00", null, 10), at("01:00", 60)],
    { hourly: { [h("00:00")]: 50 }, energy_wh: 50, resets: 0 },
  ],
  [
    "swap@01:00 final 104 new 0 at a reading's instant → 134 Wh, the 4 Wh read at 01:00 in the 01:00Z bucket",
    [at("00:00", 0), at("01:00", 100), swap("01:00", 104), at("02:00", 30)],
    { hourly: { [h("00:00")]: 100, [h("01:00")]: 34 }, energy_wh: 134, resets: 0 },
  ],
];

for (const [name, inputs, expected] of EXAMPLES) test(name, () => check(inputs, expected));
