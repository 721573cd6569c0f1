// One device in a replay: the pure rebuild fold, keeping only the hour buckets a replay of [from, to) can write
// (so memory grows with the range, not with the device's history), and finished as the batch finishes.
import { ingest } from "../core/device-stream.ts";
import { type ZoneClock, zoneClock } from "../core/hours.ts";
import {
  finishRebuild,
  type LedgerStep,
  type Rebuild,
  rebuildRows,
  startRebuild,
} from "../core/ledger-stream.ts";
import type { Output } from "../core/outputs.ts";
import type { DeviceInput } from "../core/replacement.ts";
import { addOutput } from "../core/rollup.ts";
import type { DeviceSettings } from "../core/settings.ts";
import { DAY_MS } from "./energy-rows.ts";

const HOUR_MS = 3_600_000;

export interface Range {
  from: number;
  to: number;
}

export class DeviceReplay {
  readonly #keepFrom: number;
  readonly #keepTo: number;
  readonly #limit: number;
  readonly #clock: ZoneClock;

  constructor(
    readonly settings: DeviceSettings,
    range: Range,
    private readonly latenessMs: number,
    private readonly acc: Rebuild = startRebuild(),
  ) {
    // A day written by the replay overlaps [from, to) in UTC; its local hours start within 14 h before its UTC
    // midnight and 37 h after (UTC−12, a DST day), so two days either side hold every bucket it sums.
    this.#keepFrom = range.from - 2 * DAY_MS;
    this.#keepTo = range.to + 2 * DAY_MS;
    this.#limit = Math.ceil((this.#keepTo - this.#keepFrom) / HOUR_MS) + 512;
    this.#clock = zoneClock(settings.timezone);
  }

  /** A device rebuilt from all its readings at once (the second pass), to be finished like the others. */
  static rebuilt(step: LedgerStep, settings: DeviceSettings, range: Range, latenessMs: number): DeviceReplay {
    // A rebuild's `dayHours` are all its buckets: every day of a rebuild is a changed one.
    const all = new Map(step.dayHours.map((h) => [h.hour_start, h]));
    return new DeviceReplay(settings, range, latenessMs, { state: step.state, all, late: 0 });
  }

  /** Whether a reading came later than the allowed lateness: the fold no longer equals the batch. */
  get late(): boolean {
    return this.acc.late > 0;
  }

  /**
   * `rebuildStep` (the stream fold, its outputs merged into the hour buckets), with each output added to the
   * buckets in place (`addOutput`) rather than as delta objects: a replay takes every reading of a topic.
   */
  step(r: DeviceInput): Output[] {
    const acc = this.acc;
    const step = ingest(acc.state.stream, r, this.settings, this.latenessMs);
    acc.state.stream = step.state;
    for (const o of step.outputs) {
      if (o.kind === "late") acc.late++;
      else addOutput(acc.all, o, this.#clock);
    }
    if (acc.all.size > this.#limit) this.#prune();
    return step.outputs;
  }

  /** Releases the reorder buffer and applies the last suspect, as the batch does at its end. */
  finish(): Output[] {
    return finishRebuild(this.acc, this.settings);
  }

  rows(): ReturnType<typeof rebuildRows> {
    this.#prune();
    return rebuildRows(this.acc, this.settings);
  }

  #prune(): void {
    for (const start of this.acc.all.keys())
      if (start < this.#keepFrom || start >= this.#keepTo) this.acc.all.delete(start);
  }
}
