// What the ledger's integration tests share: polling QuestDB (WAL tables apply asynchronously) and a device's
// stored energy rows.
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import {
  queryDays,
  queryHours,
  type StoredDay,
  type StoredHour,
} from "../../../pipelines/ledger/energy-rows.ts";

/** Polls `read` until `done` holds of its result (up to 20 s); returns the last result either way. */
export async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await sleep(200);
  }
}

export interface DeviceRows {
  hours: StoredHour[];
  days: StoredDay[];
}

/** Every stored hourly and daily row of a device, in time order. */
export async function deviceRows(questdb: pg.Pool, device: string): Promise<DeviceRows> {
  const filter = { devices: [device] };
  const [hours, days] = await Promise.all([
    queryHours(questdb, 0, Date.UTC(2100, 0), filter),
    queryDays(questdb, 0, Date.UTC(2100, 0), filter),
  ]);
  return {
    hours: hours.sort((a, b) => a.hour_start - b.hour_start),
    days: days.sort((a, b) => (a.date < b.date ? -1 : 1)),
  };
}

export const relClose = (a: number | null, b: number) =>
  a !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
