// One device in the ledger processor's store, and its changelog encoding (Avro LedgerDeviceState): the fold, the
// open hours and what is pending, but not the readings and replacements the reorder buffer holds, only their
// offsets. Those are read again after a restore (the runtime commits no offset past them) and put back in the buffer.
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import type { StateReading, LedgerDeviceState as StoredState } from "../../schemas/generated/types.ts";
import type { Pending } from "../core/device-state.ts";
import { type LedgerDeviceState, newLedgerState } from "../core/ledger-stream.ts";
import type { AnomalyType } from "../core/outputs.ts";
import type { Reading } from "../core/reading.ts";
import type { HourBucket } from "../core/rollup.ts";

export interface LedgerSlot {
  device_id: string;
  state: LedgerDeviceState;
  /** Offset of the last input record taken in. */
  offset: bigint;
  /** The readings in the reorder buffer: their ts and offsets, in ts order. */
  held: { ts: number; offset: bigint }[];
  /** Offsets held at the checkpoint this slot was restored from, not read again yet. */
  restoring: Set<bigint>;
  /** When a recalculation for late readings is due (epoch ms). */
  recalcDue: number | null;
  /** ts of the earliest late reading the pending recalculation must take in. */
  recalcFrom: number | null;
  /** The zone the open hours were counted in; null until the first reading. */
  zone: string | null;
}

export function newSlot(device_id: string): LedgerSlot {
  return {
    device_id,
    state: newLedgerState(),
    offset: -1n,
    held: [],
    restoring: new Set(),
    recalcDue: null,
    recalcFrom: null,
    zone: null,
  };
}

/** The lowest offset the slot needs read again after a restart, if any. */
export function lowestHeld(slot: LedgerSlot): bigint | undefined {
  let low: bigint | undefined;
  for (const h of slot.held) if (low === undefined || h.offset < low) low = h.offset;
  for (const o of slot.restoring) if (low === undefined || o < low) low = o;
  return low;
}

export function encodeSlot(slot: LedgerSlot): Buffer {
  const { fold, reorder } = slot.state.stream;
  const value: StoredState = {
    offset: Number(slot.offset),
    held: [...slot.held.map((h) => Number(h.offset)), ...[...slot.restoring].map(Number)],
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
          buffer: [],
        },
      },
      hours,
      provisional:
        s.provisional === null
          ? null
          : { ts: s.provisional.ts, anomaly: s.provisional.anomaly as AnomalyType | null },
    },
    offset: BigInt(s.offset),
    held: [],
    restoring: new Set(s.held.map((o) => BigInt(o))),
    recalcDue: s.recalc_due,
    recalcFrom: s.recalc_from,
    zone: s.zone,
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
