// Liveness of every dependency, probed in the background and read from memory: a request to /health costs no
// connection. One probe runs at a time, each bounded by a timeout, over one long-lived Kafka admin connection; a
// reading older than twice the interval is refreshed before it is answered. What a probe saw is described without
// internals (no host, user or driver message): those go to the log. Under `wattline start`, the other components
// count too: healthy only once every one of them is ready (ground/supervision.ts).
import type pg from "pg";
import type { Admin, Kafka } from "../ground/kafka.ts";
import type { Logger } from "../ground/logger.ts";
import type { ComponentsState } from "../ground/supervision.ts";

export interface Dependencies {
  kafka: Kafka;
  questdb: pg.Pool;
  postgres: pg.Pool;
  mqttConnected: () => boolean;
}

export type Check = { status: "up" | "down"; latency_ms: number; error?: string };

export interface HealthSnapshot {
  status: "healthy" | "degraded";
  services: { kafka: Check; questdb: Check; postgres: Check; mqtt: Check; components?: Check };
  /** When the probes ran. */
  timestamp: string;
}

export interface HealthMonitorOptions {
  intervalMs: number;
  timeoutMs: number;
  logger?: Logger;
  /** The supervisor's word on the other components; undefined (or absent) when there is no supervisor. */
  components?: () => ComponentsState | undefined;
}

const DEFAULTS: HealthMonitorOptions = { intervalMs: 5000, timeoutMs: 2000 };

class Timeout extends Error {}

const status = (services: HealthSnapshot["services"]): HealthSnapshot["status"] =>
  Object.values(services).every((s) => s.status === "up") ? "healthy" : "degraded";

async function timed(
  probe: () => Promise<unknown>,
  timeoutMs: number,
  log: (err: Error) => void,
): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const latency = () => Math.round(performance.now() - started);
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Timeout()), timeoutMs);
      }),
    ]);
    return { status: "up", latency_ms: latency() };
  } catch (err) {
    if (err instanceof Timeout)
      return { status: "down", latency_ms: latency(), error: `no answer in ${timeoutMs} ms` };
    log(err as Error);
    return { status: "down", latency_ms: latency(), error: "unreachable or refused" };
  } finally {
    clearTimeout(timer);
  }
}

export class HealthMonitor {
  readonly #options: HealthMonitorOptions;
  #snapshot: HealthSnapshot | undefined;
  #checkedAt = 0;
  #probing: Promise<HealthSnapshot> | undefined;
  #admin: Admin | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: Dependencies,
    options: Partial<HealthMonitorOptions> = {},
  ) {
    this.#options = { ...DEFAULTS, ...options };
  }

  /** The latest reading; probes first when there is none or it is older than twice the interval. */
  async current(): Promise<HealthSnapshot> {
    const age = Date.now() - this.#checkedAt;
    if (this.#snapshot === undefined || age > 2 * this.#options.intervalMs) return this.#probe();
    if (age > this.#options.intervalMs) void this.#probe();
    const services = { ...this.#snapshot.services, ...this.#components() };
    return { ...this.#snapshot, status: status(services), services };
  }

  /** Probes every interval from now on, so that `current()` never waits. */
  start(): void {
    this.#timer ??= setInterval(() => void this.#probe(), this.#options.intervalMs).unref();
    void this.#probe();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#probing?.catch(() => undefined);
    await this.#admin?.disconnect().catch(() => undefined);
    this.#admin = undefined;
  }

  #probe(): Promise<HealthSnapshot> {
    this.#probing ??= this.#run().finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async #run(): Promise<HealthSnapshot> {
    const { timeoutMs, logger } = this.#options;
    const log = (service: string) => (err: Error) =>
      logger?.warn({ service, err: err.message }, "health probe failed");
    const [kafka, questdb, postgres] = await Promise.all([
      timed(() => this.#kafka(), timeoutMs, log("kafka")),
      timed(() => this.deps.questdb.query("SELECT 1"), timeoutMs, log("questdb")),
      timed(() => this.deps.postgres.query("SELECT 1"), timeoutMs, log("postgres")),
    ]);
    const mqtt: Check = this.deps.mqttConnected()
      ? { status: "up", latency_ms: 0 }
      : { status: "down", latency_ms: 0, error: "not connected" };
    const services = { kafka, questdb, postgres, mqtt, ...this.#components() };
    this.#snapshot = { status: status(services), services, timestamp: new Date().toISOString() };
    this.#checkedAt = Date.now();
    return this.#snapshot;
  }

  /** Read at every answer, not only at probes: a component that becomes ready (or exits) shows at once. */
  #components(): { components?: Check } {
    const state = this.#options.components?.();
    if (state === undefined) return {};
    if (state.ready) return { components: { status: "up", latency_ms: 0 } };
    return { components: { status: "down", latency_ms: 0, error: `not ready: ${state.waiting.join(", ")}` } };
  }

  /** describeCluster over the kept admin connection; a failed one is dropped and made again next time. */
  async #kafka(): Promise<void> {
    try {
      this.#admin ??= this.deps.kafka.admin();
      await this.#admin.connect();
      await this.#admin.describeCluster();
    } catch (err) {
      const admin = this.#admin;
      this.#admin = undefined;
      void admin?.disconnect().catch(() => undefined);
      throw err;
    }
  }
}
