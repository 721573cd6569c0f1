// One unit of work of the status processor: under the devices' locks, fold events (or a silence check) into their
// stored state (or, for signs of life that keep an online device online, just move its last-seen time), then
// write history and feed, and commit the new state last. A failure anywhere rolls the state
// back, so a retry decides the same transitions again; QuestDB deduplicates them, the feed may repeat one.
import type pg from "pg";
import type { Producer } from "../../ground/kafka.ts";
import type { RowSender } from "../../ground/questdb.ts";
import { inTransaction } from "../registry/transaction.ts";
import { serial } from "../runtime/serial.ts";
import type { DeviceEvent } from "./events.ts";
import { publishTransitions } from "./feed.ts";
import { writeHistory } from "./history.ts";
import {
  allowedGapMs,
  type DeviceState,
  type Liveness,
  livenessOf,
  observe,
  step,
  type Transition,
} from "./state.ts";
import {
  loadDevices,
  lockDevices,
  type StoredDevice,
  saveStates,
  silentDevices,
  touchOnline,
} from "./store.ts";
import type { DeviceTransition } from "./transitions.ts";

export interface StatusSinks {
  pool: pg.Pool;
  sender: RowSender;
  producer: Producer;
}

type Fold = (id: string, device: StoredDevice) => { state: DeviceState; transitions: Transition[] };

/** Runs a unit's history and feed writes: units that run side by side share one QuestDB sender's buffer. */
type Writes = <T>(task: () => Promise<T>) => Promise<T>;

interface UnitOptions {
  writes?: Writes;
  /** Devices whose events are signs of life: those that stay online are updated without being loaded. */
  touches?: ReadonlyMap<string, Liveness>;
}

async function unitOfWork(
  sinks: StatusSinks,
  ids: string[],
  fold: Fold,
  { writes = serial(), touches = new Map() }: UnitOptions = {},
): Promise<DeviceTransition[]> {
  if (ids.length === 0) return [];
  return inTransaction(sinks.pool, async (client) => {
    await lockDevices(client, ids);
    // Most events of a steady fleet only move an online device's last-seen time: one statement does those.
    const touched = await touchOnline(client, touches);
    const rest = touched.size === 0 ? ids : ids.filter((id) => !touched.has(id));
    const stored = rest.length === 0 ? new Map<string, StoredDevice>() : await loadDevices(client, rest);
    const changed = new Map<string, NonNullable<DeviceState>>();
    const transitions: DeviceTransition[] = [];
    const derivedAt = Date.now();
    for (const [id, device] of stored) {
      const { state, transitions: made } = fold(id, device);
      if (state !== null && state !== device.state) changed.set(id, state);
      for (const t of made) transitions.push({ ...t, deviceId: id, derivedAt });
    }
    await saveStates(client, changed);
    if (transitions.length > 0)
      await writes(async () => {
        await writeHistory(sinks.sender, transitions);
        await publishTransitions(sinks.producer, transitions);
      });
    return transitions;
  });
}

/**
 * Devices per unit of work. Each holds an advisory lock until its transaction ends, and Postgres keeps them in a
 * shared table of about max_locks_per_transaction × max_connections entries (measured on the local stack: 20,000
 * locks in one transaction pass, 40,000 fail with "out of shared memory"), so a group of a large fleet's batches
 * is applied in several units. Applying a device's events again is a no-op, so a failure after some units
 * committed is retried like any other.
 */
const UNIT_DEVICES = 2000;
/**
 * Units of one group applied side by side, each on its own pooled connection: a unit mostly waits on Postgres
 * round trips (lock, load, save, commit), so a second one overlaps them (bench/e2e, 10,000 devices at 18,000
 * readings/s: the status processor was busy 1.4–2.0 s of every 2 s, 64 % of it idle in its own process). Their
 * devices are disjoint, and each takes its locks in key order, so they never wait on each other.
 */
export const UNITS_AT_ONCE = 2;

/** Applies messages, each device's in the order given. */
export async function applyEvents(
  sinks: StatusSinks,
  events: readonly DeviceEvent[],
): Promise<DeviceTransition[]> {
  const byDevice = new Map<string, DeviceEvent[]>();
  for (const e of events) {
    const list = byDevice.get(e.deviceId);
    if (list) list.push(e);
    else byDevice.set(e.deviceId, [e]);
  }
  const ids = [...byDevice.keys()];
  const units: string[][] = [];
  for (let i = 0; i < ids.length; i += UNIT_DEVICES) units.push(ids.slice(i, i + UNIT_DEVICES));
  const writes = serial();
  const transitions: DeviceTransition[] = [];
  const lane = async () => {
    for (let unit = units.shift(); unit !== undefined; unit = units.shift())
      transitions.push(...(await applyUnit(sinks, unit, byDevice, writes)));
  };
  // Settled, not raced: a failed group must not return while a unit of it still writes through the shared sender.
  const lanes = await Promise.allSettled(Array.from({ length: UNITS_AT_ONCE }, lane));
  const failed = lanes.find((l) => l.status === "rejected");
  if (failed) throw failed.reason;
  return transitions;
}

function applyUnit(
  sinks: StatusSinks,
  ids: string[],
  byDevice: ReadonlyMap<string, DeviceEvent[]>,
  writes: Writes,
): Promise<DeviceTransition[]> {
  const touches = new Map<string, Liveness>();
  for (const id of ids) {
    const liveness = livenessOf(byDevice.get(id) ?? []);
    if (liveness) touches.set(id, liveness);
  }
  const fold: Fold = (id, device) => {
    const gap = allowedGapMs(device.expectedIntervalS);
    let state = device.state;
    const transitions: Transition[] = [];
    for (const { event, at } of byDevice.get(id) ?? []) {
      const observed = observe(state, event, at, gap);
      state = observed.state;
      transitions.push(...observed.transitions);
    }
    return { state, transitions };
  };
  return unitOfWork(sinks, ids, fold, { writes, touches });
}

/** Turns offline, with reason silence, the devices silent at `at`; at most `limit` of them per call. */
export async function sweepSilent(
  sinks: StatusSinks,
  at: number,
  limit: number,
): Promise<DeviceTransition[]> {
  const candidates = await silentDevices(sinks.pool, at, limit);
  // Re-judged under the lock: a message may have arrived since the candidates were read.
  return unitOfWork(sinks, candidates, (_id, device) => {
    const { state, transition } = step(
      device.state,
      { kind: "silence_check", allowedGapMs: allowedGapMs(device.expectedIntervalS) },
      at,
    );
    return { state, transitions: transition ? [transition] : [] };
  });
}
