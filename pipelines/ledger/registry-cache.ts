// Device settings and cost versions from Postgres, kept in memory and refreshed as they change: devices through
// the `device_settings` notification, cost versions by polling (they are rare and append-only).
//
// The LISTEN connection is followed for as long as the cache runs: when it ends or errors (Postgres restarted, the
// backend killed, the network cut) it is opened again with exponential backoff, LISTEN is re-issued and everything
// is reloaded, since the notifications sent while it was down are lost. Its application_name tells it apart in
// pg_stat_activity.
import pg from "pg";
import type { Logger } from "../../ground/logger.ts";
import type { CostVersion } from "../core/cost.ts";
import { type DeviceSettings, defaultSettings } from "../core/settings.ts";

export interface DeviceEntry {
  settings: DeviceSettings;
  site_id: string | null;
  system_id: number | null;
  group_name: string | null;
  kind: string | null;
  /** The system and inverter array whose energy the device counts in (its own system, else its equipment's). */
  energy_system_id?: number | null;
  array_id?: number | null;
  /** Its energy is generation: an inverter, or a device measuring one (the live feed's figures and chart). */
  generation?: boolean;
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
  energy_system_id: string | null;
  array_id: string | null;
  generation: boolean;
}

// The groups as the API resolves them (api/energy/scope.ts): a system's devices are its own and those measuring
// its inverters, packs and meters; an array's, those measuring its inverters.
const DEVICE_SQL = `SELECT d.device_id, d.site_id, d.system_id, d.group_name, d.kind, d.timezone, d.max_power_w,
  d.noise_wh, d.counter_persists_across_boot, d.expected_interval_s,
  COALESCE(d.system_id, (SELECT system_id FROM inverters WHERE device_id = d.device_id),
    (SELECT system_id FROM battery_packs WHERE device_id = d.device_id),
    (SELECT system_id FROM meters WHERE device_id = d.device_id)) energy_system_id,
  (SELECT inverter_array_id FROM inverters WHERE device_id = d.device_id) array_id,
  d.kind = 'inverter' OR EXISTS (SELECT 1 FROM inverters WHERE device_id = d.device_id) generation
  FROM devices d`;

const id = (v: string | null) => (v === null ? null : Number(v));

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
    system_id: id(row.system_id),
    group_name: row.group_name,
    kind: row.kind,
    energy_system_id: id(row.energy_system_id),
    array_id: id(row.array_id),
    generation: row.generation,
  };
}

const CHANNEL = "device_settings";

/** The listener connection's `application_name` unless `FollowOptions.applicationName` says otherwise. */
export const LISTEN_APPLICATION_NAME = "wattline-registry-listen";

export interface FollowOptions {
  /** How often cost versions are re-read and the listener connection is checked. Default 10 s. */
  pollMs?: number;
  /** First wait before reopening a lost listener connection; it doubles per failed attempt. Default 0.5 s. */
  retryMinMs?: number;
  /** The longest wait between attempts. Default 30 s. */
  retryMaxMs?: number;
  /** How long connecting, LISTEN or the periodic check may take before the connection counts as lost. Default 10 s. */
  timeoutMs?: number;
  applicationName?: string;
}

interface Following extends Required<FollowOptions> {
  connectionString: string;
}

export class RegistryCache {
  readonly devices = new Map<string, DeviceEntry>();
  versions: CostVersion[] = [];
  /** Called with the device ids whose registry entry changed (for the QuestDB mirror). */
  onChange: (ids: string[]) => void = () => {};

  #following: Following | undefined;
  #stopped = false;
  /** The connection that LISTENs, once it has listened and the cache has been reloaded through it. */
  #listener: pg.Client | undefined;
  /** The connection an attempt is opening, and that attempt (never rejects). */
  #connecting: pg.Client | undefined;
  #attempt: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #retryMs = 0;
  #lostAt = 0;
  #failures = 0;
  #poll: NodeJS.Timeout | undefined;
  #checking = false;
  /** Loads and reloads run one after another, so that an older read never overwrites a newer one. */
  #serial: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger?: Logger,
  ) {}

  async load(): Promise<void> {
    await this.#exclusive(async () => {
      const { rows } = await this.pool.query<DeviceRow>(DEVICE_SQL);
      this.devices.clear();
      for (const row of rows) this.devices.set(row.device_id, entry(row));
      await this.loadVersions();
      this.onChange([...this.devices.keys()]);
    });
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

  /**
   * Follows changes until `stop`: a changed device is re-read at once, cost versions every `pollMs`. Everything is
   * reloaded once LISTEN is in place, and again after every reconnection. Rejects when the first connection fails
   * (as a start-up error); a connection lost later is reopened in the background.
   */
  async follow(connectionString: string, options: FollowOptions = {}): Promise<void> {
    if (this.#following) throw new Error("RegistryCache is already following changes");
    this.#stopped = false;
    this.#following = {
      pollMs: 10_000,
      retryMinMs: 500,
      retryMaxMs: 30_000,
      timeoutMs: 10_000,
      applicationName: LISTEN_APPLICATION_NAME,
      ...options,
      connectionString,
    };
    this.#retryMs = this.#following.retryMinMs;
    const first = this.#connect();
    this.#attempt = first.catch(() => {});
    try {
      await first;
    } catch (err) {
      this.#following = undefined;
      throw err;
    } finally {
      this.#attempt = undefined;
    }
    this.#poll = setInterval(() => this.#tick(), this.#following.pollMs);
  }

  async reload(deviceId: string): Promise<void> {
    await this.#exclusive(async () => {
      const { rows } = await this.pool.query<DeviceRow>(`${DEVICE_SQL} WHERE d.device_id = $1`, [deviceId]);
      const row = rows[0];
      if (row) this.devices.set(deviceId, entry(row));
      else this.devices.delete(deviceId);
      this.onChange([deviceId]);
    });
  }

  settingsFor(deviceId: string): DeviceSettings {
    return this.devices.get(deviceId)?.settings ?? defaultSettings(deviceId);
  }

  /** Stops following: no reconnection after this, and no timer or connection left once it resolves. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#poll);
    clearTimeout(this.#retry);
    this.#poll = undefined;
    this.#retry = undefined;
    const listener = this.#listener;
    this.#listener = undefined;
    // Closing the connection an attempt is opening makes that attempt fail at once.
    await Promise.all([
      listener?.end().catch(() => {}),
      this.#connecting?.end().catch(() => {}),
      this.#attempt,
    ]);
    this.#following = undefined;
  }

  #exclusive(work: () => Promise<void>): Promise<void> {
    const run = this.#serial.then(work);
    this.#serial = run.catch(() => {});
    return run;
  }

  /** Opens a connection, LISTENs and reloads everything; only then is it the listener. Rejects on any failure. */
  async #connect(): Promise<void> {
    const following = this.#following;
    if (!following) throw new Error("RegistryCache is not following changes");
    const client = new pg.Client({
      connectionString: following.connectionString,
      application_name: following.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: following.timeoutMs,
      query_timeout: following.timeoutMs,
    });
    let broken: Error | undefined;
    const lost = (err?: Error) => {
      if (client === this.#listener) this.#lost(client, err);
      else broken ??= err ?? new Error("listener connection ended");
    };
    // Attached before connecting and never removed: an `error` event without a listener would end the process.
    client.on("error", (err) => lost(err));
    client.on("end", () => lost());
    client.on("notification", (n) => {
      // A failed reload would leave the device stale: reconnecting reloads everything.
      if (n.channel === CHANNEL && n.payload) void this.reload(n.payload).catch((err: Error) => lost(err));
    });
    this.#connecting = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      await this.load();
      if (broken) throw broken;
      if (this.#stopped) throw new Error("RegistryCache stopped");
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    } finally {
      this.#connecting = undefined;
    }
    this.#listener = client;
  }

  #lost(client: pg.Client, err?: Error): void {
    if (client !== this.#listener) return;
    this.#listener = undefined;
    void client.end().catch(() => {});
    if (this.#stopped) return;
    this.#lostAt = Date.now();
    this.#failures = 0;
    this.logger?.warn(
      { err, retryInMs: this.#retryMs },
      "registry listener connection lost: device settings may be stale until it is back",
    );
    this.#schedule();
  }

  #schedule(): void {
    const following = this.#following;
    if (!following || this.#stopped) return;
    const wait = this.#retryMs;
    this.#retryMs = Math.min(wait * 2, following.retryMaxMs);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#attempt = this.#reconnect();
    }, wait);
  }

  async #reconnect(): Promise<void> {
    try {
      await this.#connect();
    } catch (err) {
      if (this.#stopped) return;
      this.#failures += 1;
      this.logger?.debug(
        { err, failures: this.#failures, retryInMs: this.#retryMs },
        "registry listener reconnection failed",
      );
      this.#schedule();
      return;
    } finally {
      this.#attempt = undefined;
    }
    this.#retryMs = this.#following?.retryMinMs ?? this.#retryMs;
    this.logger?.info(
      { downMs: Date.now() - this.#lostAt, failedAttempts: this.#failures },
      "registry listener reconnected; device settings and cost versions reloaded",
    );
  }

  /** Re-reads cost versions, and checks that the listener still answers (a silent network cut sends no error). */
  #tick(): void {
    void this.loadVersions().catch(() => {});
    const client = this.#listener;
    if (!client || this.#checking) return;
    this.#checking = true;
    client
      .query("SELECT 1")
      .catch((err: Error) => this.#lost(client, err))
      .finally(() => {
        this.#checking = false;
      });
  }
}
