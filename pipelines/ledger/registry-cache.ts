// Device settings and cost versions from Postgres, kept in memory and refreshed as they change: devices through
// the `device_settings` notification, cost versions by polling (they are rare and append-only).
import pg from "pg";
import type { CostVersion } from "../core/cost.ts";
import { type DeviceSettings, defaultSettings } from "../core/settings.ts";

export interface DeviceEntry {
  settings: DeviceSettings;
  site_id: string | null;
  system_id: number | null;
  group_name: string | null;
  kind: string | null;
}

interface DeviceRow {
  device_id: string;
  site_id: string;
  system_id: string | null;
  group_name: string | null;
  kind: string;
  timezone: string;
  max_power_w: number | null;
  noise_wh: number;
  counter_persists_across_boot: boolean;
  expected_interval_s: number;
}

const DEVICE_SQL = `SELECT device_id, site_id, system_id, group_name, kind, timezone, max_power_w, noise_wh,
  counter_persists_across_boot, expected_interval_s FROM devices`;

function entry(row: DeviceRow): DeviceEntry {
  return {
    settings: {
      device_id: row.device_id,
      timezone: row.timezone,
      max_power_w: row.max_power_w,
      noise_wh: row.noise_wh,
      counter_persists_across_boot: row.counter_persists_across_boot,
      expected_interval_s: row.expected_interval_s,
    },
    site_id: row.site_id,
    system_id: row.system_id === null ? null : Number(row.system_id),
    group_name: row.group_name,
    kind: row.kind,
  };
}

export class RegistryCache {
  readonly devices = new Map<string, DeviceEntry>();
  versions: CostVersion[] = [];
  #listener: pg.Client | undefined;
  #poll: NodeJS.Timeout | undefined;
  /** Called with the device ids whose registry entry changed (for the QuestDB mirror). */
  onChange: (ids: string[]) => void = () => {};

  constructor(private readonly pool: pg.Pool) {}

  async load(): Promise<void> {
    const { rows } = await this.pool.query<DeviceRow>(DEVICE_SQL);
    this.devices.clear();
    for (const row of rows) this.devices.set(row.device_id, entry(row));
    await this.loadVersions();
    this.onChange([...this.devices.keys()]);
  }

  async loadVersions(): Promise<void> {
    const { rows } = await this.pool.query<{
      cost_per_kwh: string;
      currency: string;
      effective_from: Date;
      scope: "global" | "site" | "device";
      scope_id: string | null;
    }>(
      "SELECT cost_per_kwh, currency, effective_from, scope, scope_id FROM cost_versions ORDER BY created_at, id",
    );
    this.versions = rows.map((r) => ({
      cost_per_kwh: Number(r.cost_per_kwh),
      currency: r.currency,
      effective_from: r.effective_from.getTime(),
      scope:
        r.scope === "global"
          ? { kind: "global" }
          : r.scope === "site"
            ? { kind: "site", site_id: r.scope_id ?? "" }
            : { kind: "device", device_id: r.scope_id ?? "" },
    }));
  }

  /** Follows changes until `stop`: a changed device is re-read at once, cost versions every `pollMs`. */
  async follow(connectionString: string, pollMs = 10_000): Promise<void> {
    const client = new pg.Client({ connectionString });
    await client.connect();
    client.on("notification", (n) => {
      if (n.payload) void this.reload(n.payload);
    });
    client.on("error", () => {});
    await client.query("LISTEN device_settings");
    this.#listener = client;
    this.#poll = setInterval(() => void this.loadVersions().catch(() => {}), pollMs);
  }

  async reload(deviceId: string): Promise<void> {
    const { rows } = await this.pool.query<DeviceRow>(`${DEVICE_SQL} WHERE device_id = $1`, [deviceId]);
    const row = rows[0];
    if (row) this.devices.set(deviceId, entry(row));
    else this.devices.delete(deviceId);
    this.onChange([deviceId]);
  }

  settingsFor(deviceId: string): DeviceSettings {
    return this.devices.get(deviceId)?.settings ?? defaultSettings(deviceId);
  }

  async stop(): Promise<void> {
    clearInterval(this.#poll);
    await this.#listener?.end().catch(() => {});
  }
}
