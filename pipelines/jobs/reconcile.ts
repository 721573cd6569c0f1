// The reconciliation job: for each device's last whole local day (or a given date), daily = Σ hourly = the ledger's
// share, plus silences, long gaps and implausible jumps, and for those dates group rows = Σ device rows, as review
// tickets. Each run is recorded in job_runs.
import type pg from "pg";
import { zoneClock } from "../core/hours.ts";
import { withJobRun } from "../registry/job-runs.ts";
import { checkDevice, previousDate, type Ticket } from "./reconcile-check.ts";
import { groupTickets } from "./reconcile-groups.ts";
import {
  type DeviceZone,
  deviceDays,
  registryDevices,
  saveTickets,
  unregisteredDevices,
} from "./reconcile-store.ts";

export const RECONCILE_JOB = "energy.reconcile";

export interface ReconcileOptions {
  /** Local date (YYYY-MM-DD) to check for every device; default: each device's previous local date. */
  date?: string;
  /** Only these devices (default: every registered device, and unregistered ones with energy rows, and the groups). */
  devices?: readonly string[];
  silentIntervals: number;
  now?: number;
  /** Stops the run between chunks of devices (shutdown). */
  signal?: AbortSignal;
}

export interface ReconcileSummary {
  dates: string[];
  devices_checked: number;
  mismatches: number;
  /** Group rows (hourly and daily) that differ from the sum of their devices' rows; not checked with `devices`. */
  group_mismatches?: number;
  tickets_created: number;
  tickets_existing: number;
  /** Tickets found this run, per kind (created or already there). */
  tickets: Record<string, number>;
  duration_ms: number;
  only_devices?: readonly string[];
}

export interface ReconcilePools {
  postgres: pg.Pool;
  questdb: pg.Pool;
}

export function reconcile(pools: ReconcilePools, options: ReconcileOptions): Promise<ReconcileSummary> {
  return withJobRun(
    pools.postgres,
    RECONCILE_JOB,
    () => run(pools, options),
    (s) => ({ ...s }),
  );
}

async function run(
  { postgres, questdb }: ReconcilePools,
  options: ReconcileOptions,
): Promise<ReconcileSummary> {
  const started = Date.now();
  const now = options.now ?? started;
  const byDate = new Map<string, DeviceZone[]>();
  const add = (date: string, d: DeviceZone) => {
    const list = byDate.get(date);
    if (list) list.push(d);
    else byDate.set(date, [d]);
  };

  const registered = await registryDevices(postgres, options.devices);
  for (const d of registered) add(options.date ?? previousDate(now, zoneClock(d.timezone)), d);
  const utcDate = options.date ?? previousDate(now, zoneClock("UTC"));
  const known = new Set(registered.map((d) => d.device_id));
  for (const d of await unregisteredDevices(questdb, utcDate, known, options.devices)) add(utcDate, d);

  const tickets = new Map<string, Ticket>();
  let checked = 0;
  let mismatches = 0;
  for (const [date, devices] of byDate) {
    for await (const days of deviceDays(questdb, date, devices)) {
      options.signal?.throwIfAborted();
      for (const day of days) {
        const check = checkDevice(day, { silentIntervals: options.silentIntervals, now });
        checked++;
        if (check.mismatch) mismatches++;
        for (const t of check.tickets) tickets.set(t.dedupe_key, t);
      }
    }
  }

  // A group sums every device: checked only when the run covers them all.
  const groups = options.devices ? undefined : await groupTickets(questdb, [...byDate.keys()]);
  for (const t of groups ?? []) tickets.set(t.dedupe_key, t);

  const created = await saveTickets(postgres, [...tickets.values()]);
  const found: Record<string, number> = {};
  for (const t of tickets.values()) found[t.kind] = (found[t.kind] ?? 0) + 1;
  const createdTotal = [...created.values()].reduce((a, b) => a + b, 0);
  return {
    dates: [...byDate.keys()].sort(),
    devices_checked: checked,
    mismatches,
    ...(groups ? { group_mismatches: groups.length } : {}),
    tickets_created: createdTotal,
    tickets_existing: tickets.size - createdTotal,
    tickets: found,
    duration_ms: Date.now() - started,
    ...(options.devices ? { only_devices: options.devices } : {}),
  };
}
