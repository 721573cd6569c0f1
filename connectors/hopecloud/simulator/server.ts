// Starts the simulated HopeCloud on a port (0: any free one) and returns its URL, its fleet, controls to inject
// faults while it runs, and a stop function.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { HOPECLOUD_SIMULATOR_CREDENTIALS } from "../../../ground/config.ts";
import type { DivertorJson } from "../api/shapes.ts";
import { simulatorApp } from "./app.ts";
import { type FaultOptions, Faults, type RateLimit } from "./faults.ts";
import { buildFleet, type PlantSpec, type SimPlant } from "./fleet.ts";
import { emptyStats, type SimulatorStats } from "./stats.ts";
import { Tokens } from "./tokens.ts";

export interface SimulatorOptions extends FaultOptions {
  port?: number;
  host?: string;
  seed?: number;
  /** A number of generated plants, or each plant's spec (default 3 plants). */
  plants?: number | readonly PlantSpec[];
  appKey?: string;
  appSecret?: string;
  /** Token lifetime in seconds (default 7200). */
  tokenTtlS?: number;
  /** The simulated clock (default Date.now): realtime data and token expiry follow it. */
  now?: () => number;
}

export interface SimulatorControl {
  /** Revokes every token: the next request with an old one gets 401. */
  expireTokens(): void;
  /** Makes a plant's modules endpoint answer 500 (or stop doing so). */
  failPlant(plantId: string, failing?: boolean): void;
  /** Makes a plant's endpoints answer after `ms` (0 restores them). */
  delayPlant(plantId: string, ms: number): void;
  /** The next `count` requests fail with `status` (default 503). */
  failNextRequests(count: number, status?: number): void;
  setRateLimit(limit: RateLimit | undefined): void;
  /** Changes a module's snapshot, as when the cloud hears from it again. */
  updateModule(moduleId: string, patch: Partial<DivertorJson>): void;
}

export interface HopeCloudSimulator {
  url: string;
  plants: readonly SimPlant[];
  control: SimulatorControl;
  stats: SimulatorStats;
  stop(): Promise<void>;
}

export async function startHopeCloudSimulator(o: SimulatorOptions = {}): Promise<HopeCloudSimulator> {
  const now = o.now ?? Date.now;
  const specs = typeof o.plants === "object" ? o.plants : Array.from({ length: o.plants ?? 3 }, () => ({}));
  const plants = buildFleet(o.seed ?? 1, specs);
  const faults = new Faults(o);
  const tokens = new Tokens(o.tokenTtlS ?? 7200, now);
  const stats = emptyStats();
  const credentials = {
    appKey: o.appKey ?? HOPECLOUD_SIMULATOR_CREDENTIALS.appKey,
    appSecret: o.appSecret ?? HOPECLOUD_SIMULATOR_CREDENTIALS.appSecret,
  };
  const app = simulatorApp({ plants, credentials, tokens, faults, stats, now });
  const host = o.host ?? "127.0.0.1";
  const { server, port } = await new Promise<{ server: Server; port: number }>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: o.port ?? 0, hostname: host }, (info: AddressInfo) =>
      resolve({ server: s as Server, port: info.port }),
    );
    s.once("error", reject);
  });
  const modules = new Map(plants.flatMap((p) => p.modules.map((m) => [m.id, m] as const)));
  return {
    url: `http://${host}:${port}`,
    plants,
    stats,
    control: {
      expireTokens: () => tokens.expireAll(),
      failPlant: (plantId, failing = true) => {
        if (failing) faults.failingPlants.add(plantId);
        else faults.failingPlants.delete(plantId);
      },
      delayPlant: (plantId, ms) => faults.delays.set(plantId, ms),
      failNextRequests: (count, status) => faults.failNext(count, status),
      setRateLimit: (limit) => {
        faults.rateLimit = limit;
      },
      updateModule: (moduleId, patch) => {
        const m = modules.get(moduleId);
        if (!m) throw new Error(`no simulated module ${moduleId}`);
        Object.assign(m, patch);
      },
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections of clients would hold close() open until they idle out.
        server.closeAllConnections();
      }),
  };
}
