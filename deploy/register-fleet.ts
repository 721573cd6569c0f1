// Registers a simulated fleet (the simulator's --manifest) in Postgres, so that the ledger uses its settings.
import { readFileSync } from "node:fs";
import type pg from "pg";
import { z } from "zod";

const manifest = z.array(
  z.object({
    device_id: z.string(),
    site_id: z.string(),
    timezone: z.string(),
    kind: z.string(),
    max_power_w: z.number().nullable(),
    noise_wh: z.number(),
    counter_persists_across_boot: z.boolean(),
    expected_interval_s: z.number().int(),
  }),
);

const KINDS = new Set(["inverter", "battery", "meter", "ev_charger", "classroom"]);

export async function registerFleet(pool: pg.Pool, manifestFile: string): Promise<number> {
  const devices = manifest.parse(JSON.parse(readFileSync(manifestFile, "utf8")));
  for (const d of devices) {
    await pool.query(
      "INSERT INTO sites (id, name, timezone) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
      [d.site_id, `Simulated ${d.site_id}`, d.timezone],
    );
    await pool.query(
      `INSERT INTO devices (device_id, site_id, kind, timezone, max_power_w, noise_wh, counter_persists_across_boot,
         expected_interval_s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (device_id) DO UPDATE SET timezone = EXCLUDED.timezone, max_power_w = EXCLUDED.max_power_w,
         expected_interval_s = EXCLUDED.expected_interval_s`,
      [
        d.device_id,
        d.site_id,
        KINDS.has(d.kind) ? d.kind : "other",
        d.timezone,
        d.max_power_w,
        d.noise_wh,
        d.counter_persists_across_boot,
        d.expected_interval_s,
      ],
    );
  }
  return devices.length;
}
