// `wattline cost add` and `wattline cost list`.
import { loadConfig } from "../../ground/config.ts";
import { createLogger } from "../../ground/logger.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { migrate } from "../../schemas/postgres/migrate.ts";
import { addCostVersion } from "./add.ts";
import { CostInputError, loadVersions, type Scope, type StoredCostVersion } from "./versions.ts";

export async function costAdd(opts: {
  rate: string;
  currency: string;
  from: string;
  site?: string;
  device?: string;
  note?: string;
}): Promise<void> {
  await reportingInputErrors("cost add", async () => {
    if (opts.site !== undefined && opts.device !== undefined)
      throw new CostInputError("give --site or --device, not both");
    const scope: Scope = opts.site !== undefined ? "site" : opts.device !== undefined ? "device" : "global";
    const rate = opts.rate.trim() === "" ? Number.NaN : Number(opts.rate);
    const config = loadConfig();
    // On a fresh registry the cost versions' table is created first.
    await migrate(config, createLogger("migrate", "warn"));
    const { version: v, repriced } = await addCostVersion(config, {
      cost_per_kwh: rate,
      currency: opts.currency,
      effective_from: opts.from,
      scope,
      scope_id: opts.site ?? opts.device ?? null,
      ...(opts.note !== undefined ? { note: opts.note } : {}),
    });
    process.stdout.write(
      `added cost version ${v.id}: ${v.cost_per_kwh} ${v.currency}/kWh from ${v.effective_from} (${scopeName(v)})\n` +
        `re-priced ${repriced.hours} hour(s) and ${repriced.days} day(s) of ${repriced.devices} device(s)\n`,
    );
  });
}

/** The versions that can price a site's or a device's hours (global ones included), or all of them. */
export async function costList(opts: { site?: string; device?: string }): Promise<void> {
  await reportingInputErrors("cost list", async () => {
    if (opts.site !== undefined && opts.device !== undefined)
      throw new CostInputError("give --site or --device, not both");
    const config = loadConfig();
    await migrate(config, createLogger("migrate", "warn"));
    const pool = postgresPool(config, 1);
    try {
      let site = opts.site;
      if (opts.device !== undefined) {
        const { rows } = await pool.query<{ site_id: string }>(
          "SELECT site_id FROM devices WHERE device_id = $1",
          [opts.device],
        );
        site = rows[0]?.site_id;
      }
      const applies = (v: StoredCostVersion) =>
        (opts.site === undefined && opts.device === undefined) ||
        v.scope === "global" ||
        (v.scope === "site" && v.scope_id === site) ||
        (v.scope === "device" && v.scope_id === opts.device);
      const versions = (await loadVersions(pool)).filter(applies);
      process.stdout.write(formatVersions(versions));
    } finally {
      await pool.end();
    }
  });
}

async function reportingInputErrors(command: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (!(e instanceof CostInputError)) throw e;
    process.stderr.write(`wattline ${command}: ${e.message}\n`);
    process.exitCode = 2;
  }
}

const scopeName = (v: StoredCostVersion) => (v.scope === "global" ? "global" : `${v.scope} ${v.scope_id}`);

function formatVersions(versions: StoredCostVersion[]): string {
  if (versions.length === 0) return "no cost versions\n";
  const rows = [
    ["id", "scope", "rate/kWh", "currency", "effective from", "created", "note"],
    ...versions.map((v) => [
      String(v.id),
      scopeName(v),
      String(v.cost_per_kwh),
      v.currency,
      v.effective_from,
      v.created_at,
      v.note ?? "",
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return `${rows.map(line).join("\n")}\n`;
}
