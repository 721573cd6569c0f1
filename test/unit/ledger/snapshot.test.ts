// A recalculation that starts from a snapshot of the device's state and reads only the inputs newer than its
// horizon gives the batch's rows for every date from the snapshot's last reading on, wherever the stream took the
// snapshot; the snapshots kept are spaced in event time, and none is taken while the state is not the batch's.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { computeDevice } from "../../../pipelines/core/batch.ts";
import { DEFAULT_ALLOWED_LATENESS_MS } from "../../../pipelines/core/device-stream.ts";
import { zoneClock } from "../../../pipelines/core/hours.ts";
import {
  ledgerFinish,
  ledgerIngest,
  ledgerRebuild,
  newTouched,
  takeRows,
} from "../../../pipelines/core/ledger-stream.ts";
import { heldCount, heldInputs } from "../../../pipelines/core/reorder.ts";
import { HeldOffsets } from "../../../pipelines/ledger/held-offsets.ts";
import {
  decodeSlot,
  encodeSlot,
  inputsAfter,
  type LedgerSlot,
  newSlot,
  snapshotBefore,
  takeSnapshot,
} from "../../../pipelines/ledger/slot.ts";
import { arrivalsArb, settingsArb } from "../core/arbitraries.ts";
import { at, settings } from "../core/helpers.ts";

const L = DEFAULT_ALLOWED_LATENESS_MS;
const H = 3_600_000;

test("a rebuild from a snapshot and the inputs after its horizon gives the batch's rows from its last reading's date", () => {
  fc.assert(
    fc.property(settingsArb, arrivalsArb(L), fc.nat(), (s, arrivals, cutAt) => {
      const cut = cutAt % (arrivals.length + 1);
      const slot = newSlot("dev-1");
      const offsets = new Map(arrivals.map((r, i) => [r, BigInt(i)]));
      for (const [i, r] of arrivals.slice(0, cut).entries()) {
        ledgerIngest(slot.state, r, s, L, newTouched());
        slot.offset = BigInt(i);
      }
      slot.held = HeldOffsets.of(
        heldInputs(slot.state.stream.reorder.buffer).map((r) => ({
          ts: r.ts,
          offset: offsets.get(r) ?? -1n,
        })),
      );
      takeRows(slot.state, s, newTouched());
      slot.zone = s.timezone;
      takeSnapshot(slot, 1);
      const [snapshot] = slot.snapshots;
      fc.pre(snapshot !== undefined && snapshot.state.stream.fold.last !== null);
      if (snapshot === undefined) return;
      // What a recalculation reads: the input from the snapshot's offset on, newer than its horizon.
      const read = arrivals
        .map((reading, i) => ({ reading, offset: BigInt(i) }))
        .slice(Number(snapshot.from));
      const after = inputsAfter(snapshot, read).map((r) => r.reading);
      const rebuilt = ledgerRebuild(after, s, L, snapshot.state);
      ledgerFinish(rebuilt.state, s, newTouched());
      const rows = takeRows(rebuilt.state, s, { hours: new Set(rebuilt.state.hours.keys()), retracted: [] });
      const clock = zoneClock(s.timezone);
      const from = clock.localDate(snapshot.state.stream.fold.last?.ts ?? 0);
      const hours = new Map(rebuilt.hours.map((h) => [h.hour_start, h]));
      for (const h of rows.hours) hours.set(h.hour_start, h);
      const days = new Map(rebuilt.days.map((d) => [d.date, d]));
      for (const d of rows.days) days.set(d.date, d);
      const batch = computeDevice(arrivals, s);
      const since = <T>(list: T[], date: (x: T) => string) => list.filter((x) => date(x) >= from);
      assert.deepEqual(
        since([...hours.values()], (h) => clock.localDate(h.hour_start)).sort(
          (a, b) => a.hour_start - b.hour_start,
        ),
        since(batch.hourly, (h) => clock.localDate(h.hour_start)),
      );
      assert.deepEqual(
        since([...days.values()], (d) => d.date)
          .filter((d) => d.hours > 0 || d.resets > 0 || d.replacements > 0)
          .sort((a, b) => (a.date < b.date ? -1 : 1)),
        since(batch.daily, (d) => d.date),
      );
    }),
    { numRuns: 300 },
  );
});

function slotAfter(readings: ReturnType<typeof at>[]): LedgerSlot {
  const s = settings();
  const slot = newSlot("dev-1");
  slot.zone = s.timezone;
  for (const [i, r] of readings.entries()) {
    ledgerIngest(slot.state, r, s, L, newTouched());
    slot.offset = BigInt(i);
    slot.held = HeldOffsets.of(
      heldInputs(slot.state.stream.reorder.buffer).map((b) => ({
        ts: b.ts,
        offset: BigInt(readings.indexOf(b as ReturnType<typeof at>)),
      })),
    );
    takeSnapshot(slot, 6 * H);
  }
  return slot;
}

test("snapshots: two kept, spaced in event time; each from the lowest offset then held", () => {
  const readings = Array.from({ length: 24 * 4 + 1 }, (_, i) => ({
    ...at("00:00", i * 100),
    ts: Date.UTC(2025, 0, 6) + i * 15 * 60_000,
  }));
  const slot = slotAfter(readings);
  assert.equal(slot.snapshots.length, 2);
  const [older, newer] = slot.snapshots;
  assert.ok(older && newer);
  assert.equal(newer.horizon - older.horizon, 6 * H);
  for (const snap of slot.snapshots) {
    const firstNewer = readings.findIndex((r) => r.ts > snap.horizon);
    assert.equal(snap.from, BigInt(firstNewer), "every input newer than the horizon is at or after `from`");
    assert.equal(heldCount(snap.state.stream.reorder.buffer), 0);
  }
  assert.equal(
    snapshotBefore(slot, newer.horizon, "UTC"),
    older,
    "the newest snapshot strictly before the input",
  );
  assert.equal(snapshotBefore(slot, newer.horizon + 1, "UTC"), newer);
  assert.equal(snapshotBefore(slot, older.horizon, "UTC"), undefined);
  assert.equal(
    snapshotBefore(slot, newer.horizon + 1, "Europe/Berlin"),
    undefined,
    "not across a zone change",
  );
});

test("snapshots: none while a recalculation is pending or a provisional write stands; kept across the changelog", () => {
  const readings = Array.from({ length: 40 }, (_, i) => ({
    ...at("00:00", i * 100),
    ts: Date.UTC(2025, 0, 6) + i * H,
  }));
  const pending = slotAfter(readings.slice(0, 10));
  pending.recalcDue = 1;
  const before = pending.snapshots.length;
  for (const r of readings.slice(10)) ledgerIngest(pending.state, r, settings(), L, newTouched());
  takeSnapshot(pending, 6 * H);
  assert.equal(pending.snapshots.length, before);

  const kept = slotAfter(readings);
  const back = decodeSlot("dev-1", encodeSlot(kept));
  assert.deepEqual(
    back.snapshots.map((s) => [
      s.from,
      s.horizon,
      s.zone,
      s.state.stream.fold.last?.ts,
      [...s.state.hours.keys()],
    ]),
    kept.snapshots.map((s) => [
      s.from,
      s.horizon,
      s.zone,
      s.state.stream.fold.last?.ts,
      [...s.state.hours.keys()],
    ]),
  );
});
