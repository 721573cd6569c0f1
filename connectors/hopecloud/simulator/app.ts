// The simulated HopeCloud API (docs/hopecloud.md): token auth, paged lists, realtime data, and the faults the
// client must survive. Every response is the envelope {code, message, data}; code 0 is success.
import { setTimeout as sleep } from "node:timers/promises";
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { MAX_PAGE_SIZE, MAX_REALTIME_SNS, PATHS } from "../api/paths.ts";
import type { Faults } from "./faults.ts";
import type { SimInverter, SimPlant } from "./fleet.ts";
import { equipmentJson, plantJson, realtimeJson } from "./json.ts";
import type { SimulatorStats } from "./stats.ts";
import type { Tokens } from "./tokens.ts";

export interface SimulatorState {
  plants: SimPlant[];
  credentials: { appKey: string; appSecret: string };
  tokens: Tokens;
  faults: Faults;
  stats: SimulatorStats;
  now: () => number;
}

const paging = z.object({
  pageIndex: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(10),
});
const credentials = z.object({ appKey: z.string(), appSecret: z.string() });
const snList = z.object({ snList: z.array(z.string()).min(1).max(MAX_REALTIME_SNS) });

const ok = (c: Context, data: unknown) => c.json({ code: 0, message: "success", data });
const fail = (c: Context, status: ContentfulStatusCode, message: string) =>
  c.json({ code: status, message, data: null }, status);

export function simulatorApp(s: SimulatorState): Hono {
  const app = new Hono();
  const plantsById = new Map(s.plants.map((p) => [p.id, p]));
  const bySn = new Map<string, { plant: SimPlant; inverter: SimInverter }>();
  for (const plant of s.plants)
    for (const inverter of plant.inverters) bySn.set(inverter.sn, { plant, inverter });

  function pageOf<T>(c: Context, items: readonly T[]) {
    const q = paging.safeParse(c.req.query());
    if (!q.success) return fail(c, 400, `pageIndex must be ≥ 1, pageSize 1–${MAX_PAGE_SIZE}`);
    const { pageIndex, pageSize } = q.data;
    const records = items.slice((pageIndex - 1) * pageSize, pageIndex * pageSize);
    return ok(c, { page: { pageIndex, pageSize, total: items.length }, records });
  }

  /** The plant named by ?plantId, after its configured delay; undefined when the response is already an error. */
  async function plantOf(c: Context): Promise<SimPlant | Response> {
    const id = c.req.query("plantId");
    if (!id) return fail(c, 400, "plantId is required");
    const plant = plantsById.get(id);
    if (!plant) return fail(c, 404, `plant ${id} not found`);
    const delay = s.faults.delays.get(id);
    if (delay) await sleep(delay);
    return plant;
  }

  app.use("*", async (c, next) => {
    s.stats.requests++;
    s.stats.byPath[c.req.path] = (s.stats.byPath[c.req.path] ?? 0) + 1;
    const retryAfter = s.faults.retryAfterS();
    if (retryAfter !== undefined) {
      s.stats.rateLimited++;
      c.header("Retry-After", String(retryAfter));
      return fail(c, 429, "too many requests");
    }
    const injected = s.faults.takeFailure();
    if (injected !== undefined) {
      s.stats.injectedFailures++;
      return fail(c, injected as ContentfulStatusCode, "service unavailable");
    }
    await next();
  });

  app.post(PATHS.token, async (c) => {
    const body = credentials.safeParse(await c.req.json().catch(() => null));
    if (
      !body.success ||
      body.data.appKey !== s.credentials.appKey ||
      body.data.appSecret !== s.credentials.appSecret
    ) {
      return fail(c, 401, "invalid appKey or appSecret");
    }
    s.stats.tokensIssued++;
    return ok(c, { accessToken: s.tokens.issue(), tokenType: "Bearer", expiresIn: s.tokens.ttlS });
  });

  app.use("/api/*", async (c, next) => {
    const token = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    if (token === undefined || !s.tokens.valid(token)) {
      s.stats.unauthorized++;
      return fail(c, 401, "token missing, invalid or expired");
    }
    await next();
  });

  app.get(PATHS.plants, (c) =>
    pageOf(
      c,
      s.plants.map((p) => plantJson(p, s.now())),
    ),
  );

  app.get(PATHS.equipment, async (c) => {
    const plant = await plantOf(c);
    if (plant instanceof Response) return plant;
    return pageOf(
      c,
      plant.inverters.map((i) => equipmentJson(plant, i, s.now())),
    );
  });

  app.get(PATHS.divertors, async (c) => {
    const plant = await plantOf(c);
    if (plant instanceof Response) return plant;
    if (s.faults.failingPlants.has(plant.id)) return fail(c, 500, "internal server error");
    return pageOf(c, plant.modules);
  });

  app.post(PATHS.realtime, async (c) => {
    const body = snList.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return fail(c, 400, `snList must list 1–${MAX_REALTIME_SNS} serial numbers`);
    // Serials the cloud does not know are left out, as HopeCloud does.
    const found = body.data.snList.flatMap((sn) => bySn.get(sn) ?? []);
    const delay = Math.max(0, ...found.map((f) => s.faults.delays.get(f.plant.id) ?? 0));
    if (delay) await sleep(delay);
    return ok(
      c,
      found.map((f) => realtimeJson(f.plant, f.inverter, s.now())),
    );
  });

  app.notFound((c) => fail(c, 404, `no route ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => fail(c, 500, err.message));
  return app;
}
