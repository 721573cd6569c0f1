// The energy_hourly and energy_daily rows as stored in QuestDB: read over PGWire (parameterised, timestamps as
// epoch microseconds so the client's time zone never applies), written back whole over ILP. Shared by replay
// (what a rewrite changes) and re-pricing (rows rewritten with a new cost).
//
// A replay rewrites every reading of its range, several rows each: `writeReadingRow` and `writeLedgerRow` write a
// reading's rows straight into a bulk ILP body (ground/ilp.ts).
import type pg from "pg";
import { IlpBody, ilpName } from "../../ground/ilp.ts";
import type { RowWriter } from "../../ground/questdb.ts";
import type { TelemetryReading } from "../../schemas/generated/types.ts";
import type { Anomaly, AnomalyType, LedgerEntry } from "../core/outputs.ts";
import { RowHead } from "./row-heads.ts";

export const DAY_MS = 86_400_000;

/** Columns as stored: any may be null (a row another writer made, or one from before a column was added). */
interface Counts {
  device_id: string;
  energy_wh: number | null;
  readings: number | null;
  duplicates: number | null;
  resets: number | null;
  replacements: number | null;
  anomalies: number | null;
  confidence: string | null;
  cost: number | null;
  currency: string | null;
}

export interface StoredHour extends Counts {
  /** Epoch ms. */
  hour_start: number;
  local_date: string;
}

export interface StoredDay extends Counts {
  /** Local date, YYYY-MM-DD (the table's `day` is its UTC midnight). */
  date: string;
  hours: number | null;
}

export interface RowFilter {
  /** Only these devices; all when absent. */
  devices?: readonly string[];
}

const COUNTS =
  "device_id, energy_wh, readings, duplicates, resets, replacements, anomalies, confidence, cost, currency";

const iso = (ms: number) => new Date(ms).toISOString();
const fromUs = (us: string) => Number(BigInt(us) / 1000n);
const us = (ms: number) => BigInt(Math.round(ms)) * 1000n;
export const dayStart = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** `AND device_id IN (…)` with its parameters numbered after `params`. */
function deviceClause(filter: RowFilter, params: unknown[]): string {
  if (!filter.devices) return "";
  const marks = filter.devices.map((d) => {
    params.push(d);
    return `$${params.length}`;
  });
  return ` AND device_id IN (${marks.join(", ")})`;
}

/** Hours with `hour_start` in [from, to). */
export async function queryHours(
  questdb: pg.Pool,
  from: number,
  to: number,
  filter: RowFilter = {},
): Promise<StoredHour[]> {
  if (filter.devices?.length === 0) return [];
  const params: unknown[] = [iso(from), iso(to)];
  const where = `hour_start >= $1 AND hour_start < $2${deviceClause(filter, params)}`;
  const { rows } = await questdb.query<Omit<StoredHour, "hour_start"> & { t: string }>(
    `SELECT cast(hour_start AS long) t, local_date, ${COUNTS} FROM energy_hourly WHERE ${where}`,
    params,
  );
  return rows.map(({ t, ...r }) => ({ ...r, hour_start: fromUs(t) }));
}

/** Days whose `day` (UTC midnight of the local date) is in [from, to). */
export async function queryDays(
  questdb: pg.Pool,
  from: number,
  to: number,
  filter: RowFilter = {},
): Promise<StoredDay[]> {
  if (filter.devices?.length === 0) return [];
  const params: unknown[] = [iso(from), iso(to)];
  const where = `day >= $1 AND day < $2${deviceClause(filter, params)}`;
  const { rows } = await questdb.query<Omit<StoredDay, "date"> & { t: string }>(
    `SELECT cast(day AS long) t, hours, ${COUNTS} FROM energy_daily WHERE ${where}`,
    params,
  );
  return rows.map(({ t, ...r }) => ({ ...r, date: iso(fromUs(t)).slice(0, 10) }));
}

/** Anomalies with `ts` in [from, to) that are not retracted. */
export async function queryAnomalies(
  questdb: pg.Pool,
  from: number,
  to: number,
  filter: RowFilter = {},
): Promise<Anomaly[]> {
  if (filter.devices?.length === 0) return [];
  const params: unknown[] = [iso(from), iso(to)];
  const where = `ts >= $1 AND ts < $2 AND NOT retracted${deviceClause(filter, params)}`;
  const { rows } = await questdb.query<{
    t: string;
    device_id: string;
    type: AnomalyType;
    energy_wh_total: number;
  }>(`SELECT cast(ts AS long) t, device_id, type, energy_wh_total FROM anomalies WHERE ${where}`, params);
  return rows.map(({ t, ...r }) => ({ kind: "anomaly", ...r, ts: fromUs(t) }));
}

/** The earliest `hour_start` at or after `from`, or null. */
export async function firstHourFrom(
  questdb: pg.Pool,
  from: number,
  filter: RowFilter = {},
): Promise<number | null> {
  if (filter.devices?.length === 0) return null;
  const params: unknown[] = [iso(from)];
  const { rows } = await questdb.query<{ t: string | null }>(
    `SELECT cast(min(hour_start) AS long) t FROM energy_hourly WHERE hour_start >= $1${deviceClause(filter, params)}`,
    params,
  );
  const t = rows[0]?.t;
  // QuestDB casts a null timestamp to the long's null, Long.MIN_VALUE.
  return t === null || t === undefined || BigInt(t) < 0n ? null : fromUs(t);
}

function counts(sender: RowWriter, r: Counts): void {
  if (r.confidence) sender.symbol("confidence", r.confidence);
  if (r.currency) sender.symbol("currency", r.currency);
  if (r.energy_wh !== null) sender.floatColumn("energy_wh", r.energy_wh);
  for (const c of ["readings", "duplicates", "resets", "replacements", "anomalies"] as const) {
    const v = r[c];
    if (v !== null) sender.intColumn(c, v);
  }
  if (r.cost !== null) sender.floatColumn("cost", r.cost);
}

/** Appends a whole hourly row (an upsert: every column is written, an absent one becomes null). */
export async function writeHour(sender: RowWriter, h: StoredHour): Promise<void> {
  sender.table("energy_hourly").symbol("device_id", h.device_id).symbol("local_date", h.local_date);
  counts(sender, h);
  await sender.at(us(h.hour_start), "us");
}

/** Appends a whole daily row. */
export async function writeDay(sender: RowWriter, d: StoredDay): Promise<void> {
  sender.table("energy_daily").symbol("device_id", d.device_id);
  counts(sender, d);
  if (d.hours !== null) sender.intColumn("hours", d.hours);
  await sender.at(us(dayStart(d.date)), "us");
}

/**
 * A `readings` row, as `LedgerRows.writeTo` (sink.ts) writes it, byte for byte: keep the two alike. For the
 * replay, which writes every reading of its range and needs no map of them.
 */
export function writeReadingRow(body: IlpBody, r: TelemetryReading, head: RowHead): void {
  body.head(head.get(r.device_id, r.ts_source, r.source));
  body.floatColumn(N.energy_wh_total, r.energy_wh_total);
  if (r.power_w !== null) body.floatColumn(N.power_w, r.power_w);
  if (r.boot_id !== null) body.stringColumn(N.boot_id, r.boot_id);
  if (r.seq !== null) body.intColumn(N.seq, r.seq);
  body.timestampColumnMs(N.received_at, r.received_at);
  body.atMs(r.ts);
}

/** A `ledger` row of an entry, or the zero row of a dropped glitch, as `LedgerRows.writeTo` writes it. */
export function writeLedgerRow(body: IlpBody, e: LedgerEntry | Anomaly, head: RowHead): void {
  if (e.kind === "ledger") {
    body.head(head.get(e.device_id, e.classification, e.confidence));
    if (e.replacement) body.symbol(N.ended_by, "replacement");
    body.timestampColumnMs(N.from_ts, e.from).floatColumn(N.delta_wh, e.delta_wh);
    body.atMs(e.to);
  } else {
    body.table(N.ledger).symbol(N.device_id, e.device_id).symbol(N.classification, e.type);
    body.floatColumn(N.delta_wh, 0);
    body.atMs(e.ts);
  }
}

const encodeReadingHead = (device: string, tsSource: string, source: string) =>
  IlpBody.encodeHead((b) =>
    b.table(N.readings).symbol(N.device_id, device).symbol(N.ts_source, tsSource).symbol(N.source, source),
  );

const encodeLedgerHead = (device: string, classification: string, confidence: string) =>
  IlpBody.encodeHead((b) =>
    b
      .table(N.ledger)
      .symbol(N.device_id, device)
      .symbol(N.classification, classification)
      .symbol(N.confidence, confidence),
  );

/** One device's head of `readings` rows (by ts_source and source), for `writeReadingRow`. */
export const readingHead = (): RowHead => new RowHead(encodeReadingHead);

/** One device's head of `ledger` rows (by classification and confidence), for `writeLedgerRow`. */
export const ledgerHead = (): RowHead => new RowHead(encodeLedgerHead);

/** The names the row writers use. */
const N = {
  readings: ilpName("readings", "table"),
  ledger: ilpName("ledger", "table"),
  device_id: ilpName("device_id"),
  ts_source: ilpName("ts_source"),
  source: ilpName("source"),
  energy_wh_total: ilpName("energy_wh_total"),
  power_w: ilpName("power_w"),
  boot_id: ilpName("boot_id"),
  seq: ilpName("seq"),
  received_at: ilpName("received_at"),
  classification: ilpName("classification"),
  confidence: ilpName("confidence"),
  from_ts: ilpName("from_ts"),
  delta_wh: ilpName("delta_wh"),
  ended_by: ilpName("ended_by"),
};
