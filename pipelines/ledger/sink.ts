// Rows for QuestDB, gathered per Kafka batch and written in one ILP/HTTP request (one WAL transaction). Rows are
// keyed as their tables' DEDUP keys, so a later value of an hour or a day in the same batch replaces the earlier.

import type { RowSender, RowWriter } from "../../ground/questdb.ts";
import type { MeterReplacement, TelemetryReading } from "../../schemas/generated/types.ts";
import { type CostVersion, costOf, dayCost, type Priced, rateFor } from "../core/cost.ts";
import { zoneClock } from "../core/hours.ts";
import type { LedgerRowSet } from "../core/ledger-stream.ts";
import type { Anomaly, LedgerEntry, Output } from "../core/outputs.ts";
import { type DayTotal, emptyBucket, type HourBucket } from "../core/rollup.ts";
import type { DeviceEntry } from "./registry-cache.ts";

export interface StaleRows {
  hours: readonly { device_id: string; hour_start: number; local_date: string }[];
  days: readonly { device_id: string; date: string }[];
  anomalies: readonly Anomaly[];
}

const UNPRICED: Priced = { cost: null, currency: null };

const emptyDay = (date: string): DayTotal => ({
  date,
  energy_wh: 0,
  hours: 0,
  readings: 0,
  duplicates: 0,
  resets: 0,
  replacements: 0,
  anomalies: 0,
  confidence: null,
});

export class LedgerRows {
  readonly readings = new Map<string, TelemetryReading>();
  readonly replacements = new Map<string, MeterReplacement>();
  readonly ledger = new Map<string, LedgerEntry | Anomaly>();
  /** A retracted row marks an anomaly written before (provisionally, or by an earlier fold) that no longer holds. */
  readonly anomalies = new Map<string, Anomaly & { retracted?: boolean }>();
  readonly hours = new Map<string, { device_id: string; date: string; bucket: HourBucket; priced: Priced }>();
  readonly days = new Map<string, { device_id: string; day: DayTotal; priced: Priced }>();

  get size(): number {
    return (
      this.readings.size +
      this.replacements.size +
      this.ledger.size +
      this.anomalies.size +
      this.hours.size +
      this.days.size
    );
  }

  /** The first of two readings with one ts is kept, as the ledger counts it. */
  addReading(r: TelemetryReading): void {
    const key = `${r.device_id}|${r.ts}`;
    if (!this.readings.has(key)) this.readings.set(key, r);
  }

  addReplacement(r: MeterReplacement): void {
    const key = `${r.device_id}|${r.ts}`;
    if (!this.replacements.has(key)) this.replacements.set(key, r);
  }

  /** The fold's ledger entries and anomalies. */
  addOutputs(device: string, outputs: readonly Output[], range?: { from: number; to: number }): void {
    for (const o of outputs) {
      if (o.kind === "ledger" && within(range, o.to)) this.ledger.set(ledgerKey(device, o), o);
      if (o.kind === "anomaly" && within(range, o.ts)) {
        this.anomalies.set(`${device}|${o.ts}|${o.type}`, o);
        // A dropped glitch gets a zero ledger row: a recalculation that drops a reading the stream had applied
        // then overwrites that reading's row instead of leaving it behind.
        if (o.type === "glitch_dropped") this.ledger.set(`${device}|${o.ts}`, o);
      }
    }
  }

  /** A step's ledger entries, anomalies and changed rows, priced with the versions in force. */
  addStep(
    device: string,
    step: Pick<LedgerRowSet, "outputs" | "hours" | "days" | "dayHours"> &
      Partial<Pick<LedgerRowSet, "retracted">>,
    entry: DeviceEntry | undefined,
    versions: readonly CostVersion[],
    range?: { from: number; to: number },
  ): void {
    this.addOutputs(device, step.outputs, range);
    for (const a of step.retracted ?? [])
      if (within(range, a.ts)) this.anomalies.set(`${device}|${a.ts}|${a.type}`, { ...a, retracted: true });
    if (step.hours.length === 0 && step.days.length === 0) return;
    const clock = zoneClock(entry?.settings.timezone ?? "UTC");
    const target = { device_id: device, ...(entry?.site_id ? { site_id: entry.site_id } : {}) };
    const price = (h: HourBucket): Priced => {
      const rate = rateFor(versions, target, h.hour_start);
      return rate ? costOf(h.energy_wh, rate) : { cost: null, currency: null };
    };
    for (const h of step.hours) {
      if (within(range, h.hour_start))
        this.hours.set(`${device}|${h.hour_start}`, {
          device_id: device,
          date: clock.localDate(h.hour_start),
          bucket: h,
          priced: price(h),
        });
    }
    for (const day of step.days) {
      const dayStart = Date.parse(`${day.date}T00:00:00Z`);
      if (range && (dayStart + 86_400_000 <= range.from || dayStart >= range.to)) continue;
      const priced = step.dayHours.filter((h) => clock.localDate(h.hour_start) === day.date).map(price);
      this.days.set(`${device}|${day.date}`, { device_id: device, day, priced: dayCost(priced) });
    }
  }

  /** Takes in another set's rows: a later value of a row replaces an earlier one, as the upsert would. */
  merge(other: LedgerRows): void {
    for (const [k, v] of other.readings) if (!this.readings.has(k)) this.readings.set(k, v);
    for (const [k, v] of other.replacements) if (!this.replacements.has(k)) this.replacements.set(k, v);
    for (const [k, v] of other.ledger) this.ledger.set(k, v);
    for (const [k, v] of other.anomalies) this.anomalies.set(k, v);
    for (const [k, v] of other.hours) this.hours.set(k, v);
    for (const [k, v] of other.days) this.days.set(k, v);
  }

  /**
   * Stored rows a rebuild no longer produces (the device's zone changed, or a reading it had applied was dropped)
   * become rows that carry nothing: QuestDB cannot delete, so they are zeroed, without confidence. Rows this set
   * already holds are the rebuild's own and stay.
   */
  retract(stale: StaleRows): void {
    for (const h of stale.hours) {
      const key = `${h.device_id}|${h.hour_start}`;
      if (!this.hours.has(key))
        this.hours.set(key, {
          device_id: h.device_id,
          date: h.local_date,
          bucket: emptyBucket(h.hour_start),
          priced: UNPRICED,
        });
    }
    for (const d of stale.days) {
      const key = `${d.device_id}|${d.date}`;
      if (!this.days.has(key))
        this.days.set(key, { device_id: d.device_id, day: emptyDay(d.date), priced: UNPRICED });
    }
    for (const a of stale.anomalies) {
      const key = `${a.device_id}|${a.ts}|${a.type}`;
      if (!this.anomalies.has(key)) this.anomalies.set(key, { ...a, retracted: true });
    }
  }

  /**
   * Appends every row to the sender's buffer; the caller flushes. With `flushEvery` (and a sender), the buffer is
   * flushed after that many rows (a device's whole history would outgrow one request): each flush is its own WAL
   * transaction, which the idempotent upserts allow. Timestamps go as epoch ms, which the writers scale.
   */
  async writeTo(sender: RowWriter | RowSender, flushEvery = Number.POSITIVE_INFINITY): Promise<void> {
    let rows = 0;
    const at = async (s: RowWriter | RowSender, ms: number) => {
      await s.at(ms, "ms");
      if (++rows % flushEvery === 0 && "flush" in s) await s.flush();
    };
    for (const r of this.readings.values()) {
      sender
        .table("readings")
        .symbol("device_id", r.device_id)
        .symbol("ts_source", r.ts_source)
        .symbol("source", r.source);
      sender.floatColumn("energy_wh_total", r.energy_wh_total);
      if (r.power_w !== null) sender.floatColumn("power_w", r.power_w);
      if (r.boot_id !== null) sender.stringColumn("boot_id", r.boot_id);
      if (r.seq !== null) sender.intColumn("seq", r.seq);
      sender.timestampColumn("received_at", r.received_at, "ms");
      await at(sender, r.ts);
    }
    for (const r of this.replacements.values()) {
      sender.table("meter_replacements").symbol("device_id", r.device_id).symbol("source", r.source);
      if (r.old_final_wh_total !== null) sender.floatColumn("old_final_wh_total", r.old_final_wh_total);
      sender.floatColumn("new_initial_wh_total", r.new_initial_wh_total);
      sender.timestampColumn("received_at", r.received_at, "ms");
      await at(sender, r.ts);
    }
    for (const e of this.ledger.values()) {
      sender.table("ledger").symbol("device_id", e.device_id);
      if (e.kind === "ledger") {
        sender.symbol("classification", e.classification).symbol("confidence", e.confidence);
        if (e.replacement) sender.symbol("ended_by", "replacement");
        sender.timestampColumn("from_ts", e.from, "ms").floatColumn("delta_wh", e.delta_wh);
        await at(sender, e.to);
      } else {
        sender.symbol("classification", e.type).floatColumn("delta_wh", 0);
        await at(sender, e.ts);
      }
    }
    for (const a of this.anomalies.values()) {
      sender
        .table("anomalies")
        .symbol("device_id", a.device_id)
        .symbol("type", a.type)
        .floatColumn("energy_wh_total", a.energy_wh_total)
        .booleanColumn("retracted", a.retracted === true);
      await at(sender, a.ts);
    }
    for (const { device_id, date, bucket: b, priced } of this.hours.values()) {
      sender.table("energy_hourly").symbol("device_id", device_id).symbol("local_date", date);
      if (b.confidence) sender.symbol("confidence", b.confidence);
      if (priced.currency) sender.symbol("currency", priced.currency);
      sender
        .floatColumn("energy_wh", b.energy_wh)
        .intColumn("readings", b.readings)
        .intColumn("duplicates", b.duplicates);
      sender.intColumn("resets", b.resets).intColumn("replacements", b.replacements);
      sender.intColumn("anomalies", b.anomalies);
      if (priced.cost !== null) sender.floatColumn("cost", priced.cost);
      await at(sender, b.hour_start);
    }
    for (const { device_id, day: d, priced } of this.days.values()) {
      sender.table("energy_daily").symbol("device_id", device_id);
      if (d.confidence) sender.symbol("confidence", d.confidence);
      if (priced.currency) sender.symbol("currency", priced.currency);
      sender
        .floatColumn("energy_wh", d.energy_wh)
        .intColumn("hours", d.hours)
        .intColumn("readings", d.readings);
      sender
        .intColumn("duplicates", d.duplicates)
        .intColumn("resets", d.resets)
        .intColumn("replacements", d.replacements)
        .intColumn("anomalies", d.anomalies);
      if (priced.cost !== null) sender.floatColumn("cost", priced.cost);
      await at(sender, Date.parse(`${d.date}T00:00:00Z`));
    }
  }
}

/**
 * A ledger row's key, as the table's DEDUP keys: the interval ending at a meter replacement's final value is kept
 * apart from a reading's interval ending at the same instant.
 */
function ledgerKey(device: string, e: LedgerEntry): string {
  return e.replacement ? `${device}|${e.to}|replacement` : `${device}|${e.to}`;
}

/** Whether `t` is in the range a replay rewrites, if there is one (a module function: this runs per reading). */
function within(range: { from: number; to: number } | undefined, t: number): boolean {
  return range === undefined || (t >= range.from && t < range.to);
}
