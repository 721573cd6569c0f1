// Puts a known ledger into the shared QuestDB the way the ledger processor does: readings through the core
// (`ledgerBatch`), the rows from `LedgerRows`, written over ILP; then waits until the WAL tables show them.
import type pg from "pg";
import { questdbPool, questdbSender, type Sender } from "../../ground/questdb.ts";
import type { CostVersion } from "../../pipelines/core/cost.ts";
import { ledgerBatch } from "../../pipelines/core/ledger-stream.ts";
import type { Reading } from "../../pipelines/core/reading.ts";
import type { MeterReplacement } from "../../pipelines/core/replacement.ts";
import { type DeviceSettings, defaultSettings } from "../../pipelines/core/settings.ts";
import type { DeviceEntry } from "../../pipelines/ledger/registry-cache.ts";
import { LedgerRows } from "../../pipelines/ledger/sink.ts";
import { groupViewsCaughtUp } from "../../schemas/questdb/groups.ts";
import { ensureLedgerTables } from "../../schemas/questdb/ledger.ts";
import { eventually } from "./processors.ts";
import { config } from "./stack.ts";

export interface SeedDevice {
  settings: Partial<DeviceSettings> & { device_id: string };
  readings: Reading[];
  /** Meter replacements among the readings. */
  replacements?: MeterReplacement[];
  /** Mirrored into QuestDB's devices table when given. */
  site_id?: string;
  group_name?: string;
  kind?: string;
  /** The system and inverter array the device counts in (the group rows), mirrored with the site. */
  energy_system_id?: number;
  array_id?: number;
  /** Its energy is generation (the live feed's); by default when its kind is inverter, as the registry says. */
  generation?: boolean;
}

/** A reading at an ISO instant. */
export const reading = (
  device_id: string,
  ts: string,
  energy_wh_total: number,
  power_w?: number,
): Reading => ({
  device_id,
  ts: Date.parse(ts),
  energy_wh_total,
  ...(power_w === undefined ? {} : { power_w }),
});

let tables: Promise<void> | undefined;

/** The ledger's tables with their DDL (DEDUP keys): rows written over ILP first would create them without it. */
function ensureTables(): Promise<void> {
  tables ??= (async () => {
    const pool = questdbPool(config, 1);
    await ensureLedgerTables(pool).finally(() => pool.end());
  })();
  return tables;
}

export async function withSender(work: (sender: Sender) => Promise<void>): Promise<void> {
  await ensureTables();
  const sender = await questdbSender(config);
  try {
    await work(sender);
    await sender.flush();
  } finally {
    await sender.close();
  }
}

/** Computes and writes every device's rows; returns them, for their counts and values. */
export async function seedLedger(devices: SeedDevice[], versions: CostVersion[] = []): Promise<LedgerRows> {
  const rows = new LedgerRows();
  for (const d of devices) {
    const settings = { ...defaultSettings(d.settings.device_id), ...d.settings };
    const entry: DeviceEntry = {
      settings,
      site_id: d.site_id ?? null,
      system_id: null,
      group_name: d.group_name ?? null,
      kind: d.kind ?? null,
    };
    for (const r of d.readings) {
      rows.addReading({
        device_id: r.device_id,
        ts: r.ts,
        ts_source: "device",
        energy_wh_total: r.energy_wh_total,
        power_w: r.power_w ?? null,
        boot_id: r.boot_id ?? null,
        seq: null,
        switch_state: null,
        voltage_v: null,
        current_a: null,
        source: "test",
        received_at: r.ts,
      });
    }
    const replacements = d.replacements ?? [];
    for (const r of replacements) rows.addReplacement({ ...r, source: "test", received_at: r.ts });
    rows.addStep(
      settings.device_id,
      ledgerBatch([...d.readings, ...replacements], settings),
      entry,
      versions,
    );
  }
  // The mirror first, applied before the rows: the group views join the rows to it when the rows arrive.
  const mirrored = devices.filter((d) => d.site_id !== undefined);
  await withSender(async (sender) => {
    for (const d of mirrored) {
      sender.table("devices").symbol("device_id", d.settings.device_id).symbol("site_id", d.site_id);
      sender.symbol("timezone", d.settings.timezone ?? "UTC");
      if (d.group_name) sender.symbol("group_name", d.group_name);
      if (d.kind) sender.symbol("kind", d.kind);
      if (d.energy_system_id !== undefined) sender.intColumn("energy_system_id", d.energy_system_id);
      if (d.array_id !== undefined) sender.intColumn("array_id", d.array_id);
      sender.booleanColumn("generation", d.generation ?? d.kind === "inverter");
      await sender.at(0n, "us");
    }
  });
  if (mirrored.length > 0) {
    const pool = questdbPool(config, 1);
    await waitForRows(
      pool,
      mirrored.map((d) => d.settings.device_id),
      { devices: mirrored.length },
      false,
    ).finally(() => pool.end());
  }
  await withSender((sender) => rows.writeTo(sender));
  return rows;
}

/**
 * Waits until each table holds `count` rows of these devices (WAL tables apply asynchronously), then, with
 * `groups`, until the group views have refreshed them.
 */
export async function waitForRows(
  questdb: pg.Pool,
  ids: readonly string[],
  counts: Record<string, number>,
  groups = true,
): Promise<void> {
  const inList = ids.map((_, k) => `$${k + 1}`).join(", ");
  for (const [table, count] of Object.entries(counts)) {
    await eventually(`${count} rows in ${table}`, async () => {
      const { rows } = await questdb
        .query<{ n: string }>(`SELECT count() n FROM ${table} WHERE device_id IN (${inList})`, [...ids])
        .catch(() => ({ rows: [] as { n: string }[] }));
      // A table no row was ever written to does not exist: it holds 0 rows.
      return Number(rows[0]?.n ?? 0) === count ? true : undefined;
    });
  }
  if (groups && !(await groupViewsCaughtUp(questdb, 60_000)))
    throw new Error("group views did not refresh within 60 s");
}

/** The counts `waitForRows` waits for after `seedLedger`. */
export function rowCounts(rows: LedgerRows, mirrored = 0): Record<string, number> {
  return {
    readings: rows.readings.size,
    ledger: rows.ledger.size,
    anomalies: rows.anomalies.size,
    energy_hourly: rows.hours.size,
    energy_daily: rows.days.size,
    ...(mirrored > 0 ? { devices: mirrored } : {}),
  };
}
