// The live monitoring of this process: the systems clients watch (loaded on first connection, dropped with the last
// client), the feed's records applied to them and pushed as coalesced updates, a full snapshot of every watched
// system at each refresh (for the figures only the ledger computes: energy, savings, the chart), admins' broadcasts
// read back from Kafka, and the keepalive.
import type pg from "pg";
import type { Logger } from "../../ground/logger.ts";
import type { DeviceStatus, TelemetryReading } from "../../schemas/generated/types.ts";
import type { ClientBroadcast } from "./broadcast.ts";
import type { FeedHandlers, LiveFeed } from "./feed.ts";
import { type Client, DEFAULT_HUB_OPTIONS, Hub, type HubOptions, type Socket } from "./hub.ts";
import { newInstance } from "./instance.ts";
import { loadSystem } from "./load.ts";
import { SystemView } from "./system-view.ts";

export interface MonitorOptions extends HubOptions {
  /** Every watched system's full snapshot is reloaded and sent this often. */
  refreshMs: number;
  /** Records of one system arriving within this are sent as one update. */
  coalesceMs: number;
  /** Power reported longer ago than this counts no more in the current generation. */
  currentWindowMs: number;
}

/** A held view older than this is reloaded for a new client, so that its first snapshot is current. */
const FRESH_MS = 5_000;

export const DEFAULT_MONITOR_OPTIONS: MonitorOptions = {
  ...DEFAULT_HUB_OPTIONS,
  refreshMs: 60_000,
  coalesceMs: 50,
  currentWindowMs: 5 * 60_000,
};

export interface MonitorDeps {
  postgres: pg.Pool;
  questdb: pg.Pool;
  logger: Logger;
}

export class LiveMonitor implements FeedHandlers {
  readonly hub: Hub;
  readonly options: MonitorOptions;
  readonly instance = newInstance();
  /** The process's feed, for the stats route; absent while none runs. */
  feed: LiveFeed | undefined;
  readonly #views = new Map<number, SystemView>();
  readonly #loading = new Map<number, Promise<SystemView | undefined>>();
  /** device → the watched systems it belongs to. */
  #index = new Map<string, number[]>();
  readonly #dirty = new Set<number>();
  #flushTimer: NodeJS.Timeout | undefined;
  #timers: NodeJS.Timeout[] = [];
  #refreshing = false;

  constructor(
    private readonly deps: MonitorDeps,
    options: Partial<MonitorOptions> = {},
  ) {
    this.options = { ...DEFAULT_MONITOR_OPTIONS, ...options };
    this.hub = new Hub(this.options, (id) => {
      this.#views.delete(id);
      this.#reindex();
    });
  }

  start(): void {
    this.#timers = [
      setInterval(() => this.hub.heartbeat(), this.options.heartbeatMs),
      setInterval(() => void this.refresh(), this.options.refreshMs),
    ];
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    clearTimeout(this.#flushTimer);
    await this.hub.closeAll(1001, "server shutting down");
  }

  /** A new client of a system (known to exist): its snapshot first, then updates. */
  async connect(systemId: number, socket: Socket): Promise<void> {
    const client = this.hub.add(systemId, socket);
    try {
      const view = await this.#view(systemId);
      if (view !== undefined && Date.now() - view.loadedAt > FRESH_MS) await this.#reload(systemId, view);
      if (client.gone) return;
      if (view === undefined) {
        socket.close(1008, "no such system");
        return;
      }
      this.#greet(client, view);
    } catch (err) {
      this.deps.logger.error({ err, system_id: systemId }, "monitoring snapshot failed");
      socket.close(1011, "snapshot failed");
    }
  }

  reading(r: TelemetryReading): void {
    for (const id of this.#index.get(r.device_id) ?? []) if (this.#views.get(id)?.reading(r)) this.#touch(id);
  }

  status(s: DeviceStatus): void {
    for (const id of this.#index.get(s.device_id) ?? []) if (this.#views.get(id)?.status(s)) this.#touch(id);
  }

  broadcast(b: ClientBroadcast): void {
    const reached = this.hub.broadcast(b.data.system_id ?? undefined, b);
    // Each instance logs its own share: the trail of where a broadcast went.
    this.deps.logger.info({ broadcast_id: b.data.broadcast_id, ...reached }, "broadcast delivered");
  }

  /** Reloads every watched system and sends each client a full snapshot; a refresh still running is not doubled. */
  async refresh(): Promise<void> {
    if (this.#refreshing) return;
    this.#refreshing = true;
    await Promise.all(
      [...this.#views].map(async ([id, view]) => {
        try {
          if (await this.#reload(id, view))
            this.hub.publish(id, { type: "snapshot", data: view.snapshot(Date.now()) });
        } catch (err) {
          this.deps.logger.warn({ err, system_id: id }, "monitoring refresh failed");
        }
      }),
    ).finally(() => {
      this.#refreshing = false;
    });
  }

  stats() {
    return { instance: this.instance, ...this.hub.stats(), feed: this.feed?.stats() ?? null };
  }

  /** Replaces a view's base with a fresh load; false when the system is gone or unwatched. */
  async #reload(id: number, view: SystemView): Promise<boolean> {
    const next = await loadSystem(this.deps, id, Date.now());
    if (next === undefined || !this.hub.watched(id)) return false;
    view.replace(next);
    this.#reindex();
    return true;
  }

  #greet(client: Client, view: SystemView): void {
    if (this.hub.send(client, { type: "snapshot", data: view.snapshot(Date.now()) })) client.ready = true;
  }

  /** The system's view: the one held, the one being loaded, or a new load (kept while anyone watches). */
  #view(id: number): Promise<SystemView | undefined> {
    const held = this.#views.get(id);
    if (held) return Promise.resolve(held);
    let loading = this.#loading.get(id);
    if (loading === undefined) {
      loading = loadSystem(this.deps, id, Date.now())
        .then((base) => {
          if (base === undefined) return undefined;
          const view = new SystemView(base, this.options.currentWindowMs);
          if (this.hub.watched(id)) {
            this.#views.set(id, view);
            this.#reindex();
          }
          return view;
        })
        .finally(() => this.#loading.delete(id));
      this.#loading.set(id, loading);
    }
    return loading;
  }

  #reindex(): void {
    const index = new Map<string, number[]>();
    for (const [id, view] of this.#views)
      for (const device of view.devices) index.set(device, [...(index.get(device) ?? []), id]);
    this.#index = index;
  }

  #touch(id: number): void {
    this.#dirty.add(id);
    this.#flushTimer ??= setTimeout(() => this.#flush(), this.options.coalesceMs);
  }

  #flush(): void {
    this.#flushTimer = undefined;
    const now = Date.now();
    for (const id of this.#dirty) {
      const view = this.#views.get(id);
      if (view) this.hub.publish(id, { type: "update", data: view.update(now) });
    }
    this.#dirty.clear();
  }
}
