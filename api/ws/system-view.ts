// One watched system: what was loaded (registry, rollups) and what the feed has seen since. Readings and status
// transitions are applied as they arrive; `update` drains the readings seen since the previous message.
import type { DeviceStatus, TelemetryReading } from "../../schemas/generated/types.ts";
import {
  type Chart,
  type Connectivity,
  type Figures,
  type Live,
  monitoringData,
  type Power,
  type ReadingOut,
  type SystemInfo,
  updateData,
} from "./monitoring-data.ts";

export interface SystemBase {
  info: SystemInfo;
  /** Every device of the system, with its connectivity as the registry had it. */
  statuses: Map<string, Connectivity | undefined>;
  /** Devices whose energy is the system's generation: inverters. */
  generation: ReadonlySet<string>;
  figures: Figures;
  chart: Chart;
  power: Map<string, Power>;
  lastReading: ReadingOut | null;
}

/** Readings kept for the next update; a burst beyond this keeps its newest. */
const MAX_PENDING = 100;

const readingOut = (r: TelemetryReading): ReadingOut => ({
  device_id: r.device_id,
  ts: new Date(r.ts).toISOString(),
  power_w: r.power_w,
  energy_wh_total: r.energy_wh_total,
});

export class SystemView {
  /** Readings since the last update, as received: only the newest MAX_PENDING are ever sent, so only they are
   * converted (a system of 1,000 devices sees thousands a second; an update goes out a few times a second). */
  #pending: TelemetryReading[] = [];
  /** The newest reading since base.lastReading was last brought up to date. */
  #newest: TelemetryReading | null = null;
  /** When each device's status last changed here, so an older transition never overrides a newer one. */
  readonly #statusAt = new Map<string, number>();

  /** When the base was loaded, epoch ms. */
  loadedAt = Date.now();

  constructor(
    public base: SystemBase,
    private readonly windowMs: number,
  ) {}

  get devices(): Iterable<string> {
    return this.base.statuses.keys();
  }

  /** Applies a reading of one of the system's devices; false when it is not one of them. */
  reading(r: TelemetryReading): boolean {
    const b = this.base;
    if (!b.statuses.has(r.device_id)) return false;
    this.#pending.push(r);
    if (this.#pending.length >= 2 * MAX_PENDING) this.#pending.splice(0, this.#pending.length - MAX_PENDING);
    if (this.#newest === null || this.#newest.ts <= r.ts) this.#newest = r;
    const power = b.power.get(r.device_id);
    if (b.generation.has(r.device_id) && r.power_w !== null && (power === undefined || power.ts <= r.ts))
      b.power.set(r.device_id, { ts: r.ts, power_w: r.power_w });
    return true;
  }

  /** Applies a status transition; true when it changed what clients see. */
  status(s: DeviceStatus): boolean {
    const b = this.base;
    if (!b.statuses.has(s.device_id) || (this.#statusAt.get(s.device_id) ?? -Infinity) > s.ts) return false;
    this.#statusAt.set(s.device_id, s.ts);
    const changed = b.statuses.get(s.device_id) !== s.status;
    b.statuses.set(s.device_id, s.status);
    return changed;
  }

  /** A reload of the base: the registry's and rollups' figures, the newer of each device's power. */
  replace(next: SystemBase): void {
    this.#settleNewest();
    for (const [device, p] of this.base.power) {
      const q = next.power.get(device);
      if (next.generation.has(device) && (q === undefined || q.ts < p.ts)) next.power.set(device, p);
    }
    const last = this.base.lastReading;
    if (last && (next.lastReading === null || next.lastReading.ts < last.ts)) next.lastReading = last;
    this.base = next;
    this.loadedAt = Date.now();
  }

  snapshot(now: number) {
    const b = this.base;
    return monitoringData(b.info, b.generation.size, b.figures, b.chart, this.#live(), now, this.windowMs);
  }

  update(now: number) {
    const readings = this.#pending.slice(-MAX_PENDING).map(readingOut);
    this.#pending = [];
    return updateData(this.base.info, this.#live(), readings, now, this.windowMs);
  }

  /** The newest reading becomes the last reading unless the base already has a later one. */
  #settleNewest(): void {
    const b = this.base;
    const r = this.#newest;
    this.#newest = null;
    if (r !== null && (b.lastReading === null || Date.parse(b.lastReading.ts) <= r.ts))
      b.lastReading = readingOut(r);
  }

  #live(): Live {
    this.#settleNewest();
    const b = this.base;
    return { statuses: b.statuses, power: b.power, lastReading: b.lastReading };
  }
}
