// What a replay changes in energy_hourly and energy_daily: the rows it computes against the rows stored before it
// writes. A stored row of a replayed device that the replay no longer computes (its zone changed, a reading it had
// applied is now a dropped glitch) is retracted: rewritten as a row that carries nothing. Rows of devices the replay
// did not fold are kept as they are.
import type { Anomaly } from "../core/outputs.ts";
import type { StoredDay, StoredHour } from "./energy-rows.ts";
import type { LedgerRows, StaleRows } from "./sink.ts";

export interface RowChanges {
  /** Computed rows that had a stored row. */
  compared: number;
  /** Of those, the ones whose stored values differ. */
  changed: number;
  /** Computed rows without a stored row. */
  added: number;
  /** Stored rows of devices the replay did not fold, left as they are. */
  kept: number;
  /** Stored rows of replayed devices that the replay no longer computes, zeroed. */
  retracted: number;
  energy_wh_before: number;
  energy_wh_after: number;
}

export interface DeviceChanges {
  hourly: RowChanges;
  daily: RowChanges;
}

const noChanges = (): RowChanges => ({
  compared: 0,
  changed: 0,
  added: 0,
  kept: 0,
  retracted: 0,
  energy_wh_before: 0,
  energy_wh_after: 0,
});

/** Equal up to float noise: a recomputation sums in the same order, so only formatting could differ. */
const close = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

interface Computed {
  energy_wh: number;
  readings: number;
  duplicates: number;
  resets: number;
  anomalies: number;
  confidence: string | null;
  priced: { cost: number | null; currency: string | null };
}

function sameCounts(s: StoredHour | StoredDay, c: Computed): boolean {
  return (
    close(s.energy_wh, c.energy_wh) &&
    s.readings === c.readings &&
    s.duplicates === c.duplicates &&
    s.resets === c.resets &&
    s.anomalies === c.anomalies &&
    s.confidence === c.confidence &&
    close(s.cost, c.priced.cost) &&
    s.currency === c.priced.currency
  );
}

export class ChangeReport {
  readonly total: DeviceChanges = { hourly: noChanges(), daily: noChanges() };
  readonly devices = new Map<string, DeviceChanges>();
  readonly #hours = new Map<string, StoredHour>();
  readonly #days = new Map<string, StoredDay>();

  readonly #anomalies = new Map<string, Anomaly>();
  /** Each device's keys in the three maps. */
  readonly #keys = new Map<string, string[]>();

  constructor(hours: readonly StoredHour[], days: readonly StoredDay[], anomalies: readonly Anomaly[] = []) {
    const index = (device: string, key: string) => {
      const keys = this.#keys.get(device);
      if (keys === undefined) this.#keys.set(device, [key]);
      else keys.push(key);
    };
    for (const h of hours) index(h.device_id, `${h.device_id}|${h.hour_start}`);
    for (const d of days) index(d.device_id, `${d.device_id}|${d.date}`);
    for (const a of anomalies) {
      const key = `${a.device_id}|${a.ts}|${a.type}`;
      this.#anomalies.set(key, a);
      index(a.device_id, key);
    }
    for (const h of hours) {
      this.#hours.set(`${h.device_id}|${h.hour_start}`, h);
      this.#add(h.device_id, "hourly", (c) => (c.energy_wh_before += h.energy_wh ?? 0));
    }
    for (const d of days) {
      this.#days.set(`${d.device_id}|${d.date}`, d);
      this.#add(d.device_id, "daily", (c) => (c.energy_wh_before += d.energy_wh ?? 0));
    }
  }

  /** Compares one device's computed rows (a LedgerRows holding only them) with the stored ones. */
  compare(rows: LedgerRows): void {
    for (const [key, h] of rows.hours) {
      const stored = this.#hours.get(key);
      this.#hours.delete(key);
      const same = stored?.local_date === h.date && sameCounts(stored, { ...h.bucket, priced: h.priced });
      this.#count(h.device_id, "hourly", stored, same, h.bucket.energy_wh);
    }
    for (const [key, d] of rows.days) {
      const stored = this.#days.get(key);
      this.#days.delete(key);
      const same = stored?.hours === d.day.hours && sameCounts(stored, { ...d.day, priced: d.priced });
      this.#count(d.device_id, "daily", stored, same, d.day.energy_wh);
    }
  }

  /**
   * After `compare` of a replayed device: its stored rows that the replay did not compute and that still carry
   * something, to retract; `computed` says whether the replay wrote an anomaly (by its `device|ts|type` key).
   */
  staleOf(device: string, computed: (anomalyKey: string) => boolean): StaleRows {
    const carries = (c: { confidence: string | null }) => c.confidence !== null;
    const keys = this.#keys.get(device) ?? [];
    const hours = take(this.#hours, keys).filter(carries);
    const days = take(this.#days, keys).filter((d) => (d.hours ?? 0) > 0 || (d.resets ?? 0) > 0);
    const anomalies = take(this.#anomalies, keys).filter((a) => !computed(`${device}|${a.ts}|${a.type}`));
    this.#keys.delete(device);
    this.#retract(device, "hourly", hours.length);
    this.#retract(device, "daily", days.length);
    return { hours, days, anomalies };
  }

  /** Counts the stored rows no device's rows matched: they stay. */
  finish(): void {
    for (const h of this.#hours.values()) this.#keep(h.device_id, "hourly", h.energy_wh ?? 0);
    for (const d of this.#days.values()) this.#keep(d.device_id, "daily", d.energy_wh ?? 0);
    this.#hours.clear();
    this.#days.clear();
  }

  #count(device: string, table: keyof DeviceChanges, stored: unknown, same: boolean, energy: number): void {
    this.#add(device, table, (c) => {
      if (stored === undefined) c.added++;
      else c.compared++;
      if (stored !== undefined && !same) c.changed++;
      c.energy_wh_after += energy;
    });
  }

  #retract(device: string, table: keyof DeviceChanges, rows: number): void {
    if (rows > 0) this.#add(device, table, (c) => (c.retracted += rows));
  }

  #keep(device: string, table: keyof DeviceChanges, energy: number): void {
    this.#add(device, table, (c) => {
      c.kept++;
      c.energy_wh_after += energy;
    });
  }

  #add(device: string, table: keyof DeviceChanges, update: (c: RowChanges) => void): void {
    let d = this.devices.get(device);
    if (!d) {
      d = { hourly: noChanges(), daily: noChanges() };
      this.devices.set(device, d);
    }
    update(d[table]);
    update(this.total[table]);
  }
}

/** Removes and returns the entries of `keys` that `map` still holds. */
function take<T>(map: Map<string, T>, keys: readonly string[]): T[] {
  const taken: T[] = [];
  for (const key of keys) {
    const value = map.get(key);
    if (value === undefined) continue;
    taken.push(value);
    map.delete(key);
  }
  return taken;
}
