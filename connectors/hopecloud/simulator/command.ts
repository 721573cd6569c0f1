// `wattline hopecloud simulate`: the simulated HopeCloud on the configured port, until SIGINT/SIGTERM.
import { z } from "zod";
import { ConfigError, loadConfig } from "../../../ground/config.ts";
import { installShutdown, onShutdown } from "../../../ground/lifecycle.ts";
import { createLogger } from "../../../ground/logger.ts";
import { startHopeCloudSimulator } from "./server.ts";

export interface SimulateFlags {
  port?: string;
  seed?: string;
  plants?: string;
  modules?: string;
  inverters?: string;
  failPlants?: string;
  rateLimit?: string;
}

const count = z.coerce.number().int().min(0).max(10_000);
const flags = z.object({
  port: z.coerce.number().int().min(0).max(65_535).optional(),
  seed: z.coerce.number().int().min(0).max(4_294_967_295).default(1),
  plants: count.default(3),
  modules: count.default(1),
  inverters: count.default(2),
  failPlants: z.string().optional(),
  rateLimit: z.coerce.number().int().positive().optional(),
});

export async function hopecloudSimulate(raw: SimulateFlags): Promise<void> {
  const parsed = flags.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join("; "));
  const o = parsed.data;
  const config = loadConfig();
  const logger = createLogger("hopecloud-simulator", config.logLevel);
  installShutdown(logger);
  const sim = await startHopeCloudSimulator({
    port: o.port ?? config.hopecloud.simulatorPort,
    seed: o.seed,
    plants: Array.from({ length: o.plants }, () => ({ modules: o.modules, inverters: o.inverters })),
    failingPlants: o.failPlants
      ?.split(",")
      .map((p) => p.trim())
      .filter(Boolean),
    rateLimit: o.rateLimit === undefined ? undefined : { limit: o.rateLimit, windowMs: 1000 },
  });
  onShutdown(() => sim.stop());
  logger.info(
    {
      url: sim.url,
      seed: o.seed,
      plants: sim.plants.map((p) => ({
        id: p.id,
        name: p.name,
        timeZone: p.timeZone,
        modules: p.modules.length,
      })),
    },
    "HopeCloud simulator listening (set a site's hopecloud_plant_id to one of these plant ids)",
  );
}
