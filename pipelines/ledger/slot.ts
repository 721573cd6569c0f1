// One device in the ledger processor's store, and its changelog encoding (Avro LedgerDeviceState): the fold, the
// open hours and what is pending, but not the readings and replacements the reorder buffer holds, only their
// offsets. Those are read again after a restore (the runtime commits no offset past them) and put back in the buffer.
//
// Snapshots bound what a recalculation reads. A snapshot is the state when everything up to a horizon (the last
// input released to the fold) had been folded and nothing after it: every input newer than the horizon was then
// held, or came later, so it is at or after the lowest offset held then. Late inputs newer than the horizon leave
// the snapshot valid; a recalculation rebuilds from it, reading the input from that offset only. One older than the
// horizon makes it useless, and the recalculation that takes such an input in drops it.
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { StateReading, LedgerDeviceState as StoredState } from "../../schemas/generated/types.ts";
import type { Pending } from "../core/device-state.ts";
import { zoneClock } from "../core/hours.ts";
import { type LedgerDeviceState, newLedgerState } from "../core/ledger-stream.ts";
import type { AnomalyType } from "../core/outputs.ts";
import type { Reading } from "../core/reading.ts";
import { noneHeld } from "../core/reorder.ts";
import { type DeviceInput, isReplacement } from "../core/replacement.ts";
import type { HourBucket } from "../core/rollup.ts";
import type { DeviceSettings } from "../core/settings.ts";
import { HeldOffsets, unpackOffsets } from "./held-offsets.ts";

export interface LedgerSlot {
  device_id: string;
  state: LedgerDeviceState;
  /** Offset of the last input record taken in. */
  offset: bigint;
  /** The readings in the reorder buffer: their ts and offsets, in ts order. */
  held: HeldOffsets;
  /** Offsets held at the checkpoint this slot was restored from, not read again yet. */
  restoring: Set<bigint>;
  /** When a recalculation for late readings is due (epoch ms). */
  recalcDue: number | null;
  /** ts of the earliest late reading the pending recalculation must take in. */
  recalcFrom: number | null;
  /** The zone the open hours were counted in; null until the first reading. */
  zone: string | null;
  /** `settingsKey` of the settings the state was folded with; null until the first reading. */
  settings: string | null;
  /**
   * Hours whose rows (and their days' rows) are not written yet: a device's rollup rows are written at most every
   * WATTLINE_ROLLUP_WRITE_MS, and its state keeps their buckets until then (every `takeRows` is given all of them,
   * and prunes only after it made their rows). Saved with the state, so a restart writes them; a saved superset only
   * writes a row again.
   */
  unwritten: Set<number>;
  /** At most two, oldest first. */
  snapshots: Snapshot[];
}

export interface Snapshot {
  /** Every input newer than the horizon is at or after this offset. */
  from: bigint;
  /** ts of the last input folded into the state; none after it is. */
  horizon: number;
  /** The last offset taken in then: the state's hours count the duplicates that arrived up to it. */
  seen: bigint;
  /** Nothing held, nothing pending a recalculation. */
  state: LedgerDeviceState;
  zone: string | null;
  /** The state's encoding, made once: a snapshot never changes, and the slot is encoded at every checkpoint. */
  encoded?: Buffer;
}

export function newSlot(device_id: string): LedgerSlot {
  return {
    device_id,
    state: newLedgerState(),
    offset: -1n,
    held: new HeldOffsets(),
    restoring: new Set(),
    recalcDue: null,
    recalcFrom: null,
    zone: null,
    settings: null,
    unwritten: new Set(),
    snapshots: [],
  };
}

/**
 * What of a device's registry settings its ledger depends on, as one comparable string: when the registry's differ
 * from those its state was folded with, its whole history must be folded again, as the batch would with them.
 */
export function settingsKey(s: DeviceSettings): string {
  let key = settingsKeys.get(s);
  if (key === undefined) {
    key = JSON.stringify([
      s.timezone,
      s.max_power_w,
      s.noise_wh,
      s.counter_persists_across_boot,
      s.expected_interval_s,
    ]);
    settingsKeys.set(s, key);
  }
  return key;
}

/** The registry keeps a device's settings object until its entry changes: its key is made once. */
const settingsKeys = new WeakMap<DeviceSettings, string>();

/** Makes the device's whole history due for a recalculation (its settings changed). */
export function recalculateAll(slot: LedgerSlot, due: number): void {
  slot.recalcDue ??= due;
  // No input is older than 2000 (ts_out_of_range): every one is taken in, and no snapshot is old enough.
  slot.recalcFrom = 0;
}

/**
 * Takes a snapshot when the horizon has moved `spacingMs` (event time) past the newest one, keeping the last two:
 * the older is then between one and two spacings behind, so a recalculation for an input up to one spacing late
 * starts from it. Not while the state is not the batch's up to its horizon: a recalculation is pending, a silent
 * device's suspect was written provisionally, or inputs held at the last checkpoint are still being read again.
 */
export function takeSnapshot(slot: LedgerSlot, spacingMs: number): void {
  const { reorder } = slot.state.stream;
  const horizon = reorder.released;
  if (spacingMs <= 0 || horizon === null) return;
  if (slot.recalcDue !== null || slot.state.provisional !== null || slot.restoring.size > 0) return;
  const newest = slot.snapshots.at(-1);
  if (newest !== undefined && horizon - newest.horizon < spacingMs) return;
  const { fold } = slot.state.stream;
  // The hours that can still change: those of the dates from the last reading's on (older ones may await pruning).
  const clock = zoneClock(slot.zone ?? "UTC");
  const since = fold.last === null ? "" : clock.localDate(fold.last.ts);
  const hours = [...slot.state.hours].filter(([start]) => clock.localDate(start) >= since);
  const state: LedgerDeviceState = {
    stream: { fold, reorder: { ...reorder, clock: horizon, buffer: noneHeld } },
    hours: new Map(hours.map(([start, h]) => [start, { ...h }])),
    provisional: null,
  };
  const from = lowestHeld(slot) ?? slot.offset + 1n;
  slot.snapshots = [
    ...slot.snapshots.slice(-1),
    { from, horizon, seen: slot.offset, state, zone: slot.zone },
  ];
}

/**
 * What a rebuild from `snapshot` folds of the inputs read from its offset on (in offset order): those newer than
 * its horizon, less the duplicates that had arrived by then (their count is in the snapshot's hours already).
 */
export function inputsAfter<T extends { reading: DeviceInput; offset: bigint }>(
  snapshot: Snapshot,
  read: readonly T[],
): T[] {
  const taken = new Set<string>();
  return read.filter(({ reading, offset }) => {
    if (reading.ts <= snapshot.horizon) return false;
    const key = `${reading.ts}|${isReplacement(reading)}`;
    const counted = offset <= snapshot.seen && taken.has(key);
    taken.add(key);
    return !counted;
  });
}

/** The newest snapshot a recalculation of inputs from `earliest` on can start from, in zone `zone`. */
export const snapshotBefore = (slot: LedgerSlot, earliest: number, zone: string): Snapshot | undefined =>
  [...slot.snapshots].reverse().find((s) => s.horizon < earliest && s.zone === zone);

/** The lowest offset the slot needs read again after a restart, if any. */
export function lowestHeld(slot: LedgerSlot): bigint | undefined {
  let low = slot.held.lowest();
  for (const o of slot.restoring) if (low === undefined || o < low) low = o;
  return low;
}

export function encodeSlot(slot: LedgerSlot): Buffer {
  const { fold, reorder } = slot.state.stream;
  const value: StoredState = {
    offset: Number(slot.offset),
    held: [],
    held_packed: slot.held.pack(slot.restoring),
    clock: reorder.clock,
    released: reorder.released,
    released_replacement: reorder.releasedReplacement,
    last: fold.last === null ? null : stored(fold.last),
    hw: fold.hw,
    boot: fold.boot,
    replaced: fold.replaced,
    pending:
      fold.pending === null
        ? null
        : { reading: stored(fold.pending.reading), classification: fold.pending.classification },
    hours: [...slot.state.hours.values()],
    provisional: slot.state.provisional,
    recalc_due: slot.recalcDue,
    recalc_from: slot.recalcFrom,
    zone: slot.zone,
    settings: slot.settings,
    unwritten: [...slot.unwritten],
    snapshots: slot.snapshots.map((s) => {
      s.encoded ??= encodeSlot({ ...newSlot(slot.device_id), state: s.state, zone: s.zone });
      return { from: Number(s.from), horizon: s.horizon, seen: Number(s.seen), state: s.encoded };
    }),
  };
  return schemaStore().encode("LedgerDeviceState", value);
}

export function decodeSlot(device_id: string, bytes: Buffer): LedgerSlot {
  const { name, record } = schemaStore().decode(bytes);
  if (name !== "LedgerDeviceState") throw new Error(`ledger state of ${device_id} is a ${name}`);
  const s = record as StoredState;
  const last = s.last === null ? null : reading(device_id, s.last);
  const pending: Pending | null =
    s.pending === null
      ? null
      : {
          reading: reading(device_id, s.pending.reading),
          classification: s.pending.classification as Pending["classification"],
        };
  const fold =
    last === null
      ? newLedgerState().stream.fold
      : { last, hw: s.hw, boot: s.boot, pending, replaced: s.replaced };
  const hours = new Map<number, HourBucket>(
    s.hours.map((h) => [h.hour_start, { ...h, confidence: h.confidence as HourBucket["confidence"] }]),
  );
  return {
    device_id,
    state: {
      stream: {
        fold,
        reorder: {
          clock: s.clock,
          released: s.released,
          releasedReplacement: s.released_replacement,
          buffer: noneHeld,
        },
      },
      hours,
      provisional:
        s.provisional === null
          ? null
          : { ts: s.provisional.ts, anomaly: s.provisional.anomaly as AnomalyType | null },
    },
    offset: BigInt(s.offset),
    held: new HeldOffsets(),
    restoring: new Set([...s.held.map((o) => BigInt(o)), ...unpackOffsets(s.held_packed)]),
    recalcDue: s.recalc_due,
    recalcFrom: s.recalc_from,
    zone: s.zone,
    settings: s.settings,
    unwritten: new Set(s.unwritten),
    snapshots: s.snapshots.map((snap) => {
      const then = decodeSlot(device_id, snap.state);
      return {
        from: BigInt(snap.from),
        horizon: snap.horizon,
        seen: BigInt(snap.seen),
        state: then.state,
        zone: then.zone,
        encoded: snap.state,
      };
    }),
  };
}

function stored(r: Reading): StateReading {
  return {
    ts: r.ts,
    energy_wh_total: r.energy_wh_total,
    power_w: r.power_w ?? null,
    boot_id: r.boot_id ?? null,
    seq: r.seq ?? null,
  };
}

function reading(device_id: string, r: StateReading): Reading {
  return {
    device_id,
    ts: r.ts,
    energy_wh_total: r.energy_wh_total,
    ...(r.power_w !== null ? { power_w: r.power_w } : {}),
    ...(r.boot_id !== null ? { boot_id: r.boot_id } : {}),
    ...(r.seq !== null ? { seq: r.seq } : {}),
  };
}
