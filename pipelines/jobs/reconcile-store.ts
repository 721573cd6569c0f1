// The reconciliation's I/O: devices from the registry, their stored rows from QuestDB, tickets into Postgres.
// QuestDB timestamps are read as epoch microseconds (a LONG), so no driver time-zone parsing is involved.
import type pg from "pg";
import { type DeviceSettings, defaultSettings } from "../core/settings.ts";
import { type DeviceDay, dateWindow, type Ticket } from "./reconcile-check.ts";

export type DeviceZone = Pick<DeviceSettings, "device_id" | "timezone" | "expected_interval_s">;

/** Devices per QuestDB query: an IN list of bind parameters. */
const CHUNK = 100;

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (us: string) => Number(BigInt(us) / 1000n);

/** The registry's devices (all, or those in `only`). */
export async function registryDevices(pool: pg.Pool, only?: readonly string[]): Promise<DeviceZone[]> {
  const { rows } = await pool.query<DeviceZone>(
    `SELECT device_id, timezone, expected_interval_s FROM devices
     WHERE $1::text[] IS NULL OR device_id = ANY($1::text[]) ORDER BY device_id`,
    [only ?? null],
  );
  return rows;
}

/**
 * Devices with energy rows on `date` (UTC, the default zone) that the registry does not know: the ledger counts
 * them with the default settings, so they are checked with those.
 */
export async function unregisteredDevices(
  questdb: pg.Pool,
  date: string,
  known: ReadonlySet<string>,
  only?: readonly string[],
): Promise<DeviceZone[]> {
  const start = Date.parse(`${date}T00:00:00Z`);
  const { rows } = await questdb.query<{ device_id: string }>(
    `SELECT DISTINCT device_id FROM energy_hourly WHERE hour_start >= $1 AND hour_start < $2
     UNION SELECT DISTINCT device_id FROM energy_daily WHERE day = $1`,
    [iso(start), iso(start + 86_400_000)],
  );
  return rows
    .map((r) => r.device_id)
    .filter((id) => !known.has(id) && (only === undefined || only.includes(id)))
    .sort()
    .map(defaultSettings);
}

/** Everything the check needs about each device around `date`, a chunk of devices per query. */
export async function* deviceDays(
  questdb: pg.Pool,
  date: string,
  devices: readonly DeviceZone[],
): AsyncGenerator<DeviceDay[]> {
  const window = dateWindow(date);
  for (let i = 0; i < devices.length; i += CHUNK) {
    const chunk = devices.slice(i, i + CHUNK);
    const ids = chunk.map((d) => d.device_id);
    // The device ids are bound after a query's own parameters.
    const query = <R extends pg.QueryResultRow>(sql: (inList: string) => string, params: unknown[]) =>
      questdb
        .query<R>(sql(ids.map((_, k) => `$${params.length + k + 1}`).join(", ")), [...params, ...ids])
        .then((r) => r.rows);
    const range = [iso(window.from), iso(window.to)];
    const [intervals, hourly, daily, jumps, readings] = await Promise.all([
      // (from_ts, ts] overlaps the window; a dropped glitch's zero row has no from_ts and no interval.
      query<{
        device_id: string;
        from_us: string;
        to_us: string;
        delta_wh: number;
        classification: string;
        confidence: string | null;
      }>(
        (inList) => `SELECT device_id, cast(from_ts AS LONG) from_us, cast(ts AS LONG) to_us, delta_wh,
           classification, confidence FROM ledger
         WHERE ts > $1 AND from_ts < $2 AND from_ts IS NOT NULL AND device_id IN (${inList})`,
        range,
      ),
      query<{ device_id: string; hour_us: string; energy_wh: number }>(
        (inList) => `SELECT device_id, cast(hour_start AS LONG) hour_us, energy_wh FROM energy_hourly
         WHERE hour_start >= $1 AND hour_start < $2 AND device_id IN (${inList})`,
        range,
      ),
      query<{ device_id: string; energy_wh: number; hours: number }>(
        (inList) =>
          `SELECT device_id, energy_wh, hours FROM energy_daily WHERE day = $1 AND device_id IN (${inList})`,
        [`${date}T00:00:00.000Z`],
      ),
      query<{ device_id: string; ts_us: string; energy_wh_total: number }>(
        (inList) => `SELECT device_id, cast(ts AS LONG) ts_us, energy_wh_total FROM anomalies
         WHERE ts >= $1 AND ts < $2 AND type = 'implausible_jump' AND NOT retracted AND device_id IN (${inList})`,
        range,
      ),
      query<{ device_id: string; ts_us: string }>(
        (inList) => `SELECT device_id, cast(ts AS LONG) ts_us FROM readings
         WHERE ts >= $1 AND ts < $2 AND device_id IN (${inList})`,
        range,
      ),
    ]);
    const days = new Map<string, DeviceDay>(
      chunk.map((d) => [
        d.device_id,
        {
          device_id: d.device_id,
          date,
          timezone: d.timezone,
          expected_interval_s: d.expected_interval_s,
          intervals: [],
          hourly: [],
          daily: null,
          jumps: [],
          readings: [],
        },
      ]),
    );
    const of = (id: string) => days.get(id) as DeviceDay;
    for (const r of intervals) {
      of(r.device_id).intervals.push({
        from: ms(r.from_us),
        to: ms(r.to_us),
        delta_wh: r.delta_wh,
        classification: r.classification,
        confidence: r.confidence,
      });
    }
    for (const r of hourly)
      of(r.device_id).hourly.push({ hour_start: ms(r.hour_us), energy_wh: r.energy_wh });
    for (const r of daily) of(r.device_id).daily = { energy_wh: r.energy_wh, hours: r.hours };
    for (const r of jumps)
      of(r.device_id).jumps.push({ ts: ms(r.ts_us), energy_wh_total: r.energy_wh_total });
    for (const r of readings) of(r.device_id).readings.push(ms(r.ts_us));
    yield [...days.values()];
  }
}

/** Inserts the tickets not there yet (by dedupe_key); returns how many were created of each kind. */
export async function saveTickets(pool: pg.Pool, tickets: readonly Ticket[]): Promise<Map<string, number>> {
  const created = new Map<string, number>();
  if (tickets.length === 0) return created;
  const { rows } = await pool.query<{ kind: string }>(
    `INSERT INTO review_tickets (device_id, kind, details, dedupe_key)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[])
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING kind`,
    [
      tickets.map((t) => t.device_id),
      tickets.map((t) => t.kind),
      tickets.map((t) => JSON.stringify(t.details)),
      tickets.map((t) => t.dedupe_key),
    ],
  );
  for (const { kind } of rows) created.set(kind, (created.get(kind) ?? 0) + 1);
  return created;
}
