import assert from "node:assert/strict";
import { test } from "node:test";
import {
  highestCounts,
  normaliseStationId,
  planPoints,
  type StationPoints,
} from "../../../pipelines/registry/charging-plan.ts";

test("charging: ids match with and without dashes", () => {
  assert.equal(normaliseStationId("6r43-lnud-2u11-oa8z"), "6r43lnud2u11oa8z");
  assert.equal(normaliseStationId("6r43lnud2u11oa8z"), "6r43lnud2u11oa8z");
});

test("charging: per station the highest count wins, whichever form of the id reported it", () => {
  const counts = highestCounts([
    { station_id: "ab12-cd34", count: 2 },
    { station_id: "zz-99", count: 1 },
    { station_id: "ab12cd34", count: 4 },
    { station_id: "ab12-cd34", count: 3 },
  ]);
  assert.deepEqual(counts, [
    { reported_id: "ab12cd34", normalised: "ab12cd34", count: 4 },
    { reported_id: "zz-99", normalised: "zz99", count: 1 },
  ]);
});

test("charging: a count that is not a non-negative integer is refused", () => {
  assert.throws(() => highestCounts([{ station_id: "a", count: -1 }]), RangeError);
  assert.throws(() => highestCounts([{ station_id: "a", count: 1.5 }]), RangeError);
});

const station = (normalised: string, points: number, highest_point: number): StationPoints => ({
  id: `id-${normalised}`,
  external_id: normalised,
  normalised,
  points,
  highest_point,
});

test("charging: missing points are numbered on after the highest existing one", () => {
  const plan = planPoints(
    [
      { reported_id: "a-1", normalised: "a1", count: 3 },
      { reported_id: "b", normalised: "b", count: 4 },
      { reported_id: "c", normalised: "c", count: 2 },
    ],
    [station("a1", 1, 1), station("b", 2, 7), station("c", 2, 2)],
  );
  assert.deepEqual(
    plan.stations.map((s) => [s.reported_id, s.existing, s.add]),
    [
      ["a-1", 1, [2, 3]],
      ["b", 2, [8, 9]],
      ["c", 2, []],
    ],
  );
  assert.deepEqual(plan.not_found, []);
});

test("charging: a station with more points than connectors is left alone; unknown stations are listed", () => {
  const plan = planPoints(
    [
      { reported_id: "a", normalised: "a", count: 1 },
      { reported_id: "zz-yy", normalised: "zzyy", count: 2 },
    ],
    [station("a", 3, 3)],
  );
  assert.deepEqual(plan.stations[0]?.add, []);
  assert.deepEqual(plan.not_found, ["zz-yy"]);
});
