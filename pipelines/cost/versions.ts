// Cost versions in Postgres: validated input, the insert (the only write there is: a trigger refuses UPDATE and
// DELETE), and the versions in creation order, as `rateFor` expects them.
import type pg from "pg";
import type { CostVersion } from "../core/cost.ts";
import { parseTimestamp } from "../core/reading.ts";

export type Scope = "global" | "site" | "device";

/** What a caller gives (the API's body, or the CLI's options). */
export interface CostVersionInput {
  cost_per_kwh: number;
  currency: string;
  /** ISO-8601 with Z or an offset, or epoch ms. */
  effective_from: string | number;
  scope: Scope;
  /** The site or device id; none for global. */
  scope_id?: string | null;
  note?: string | null;
}

/** A stored version, as the API shows it. */
export interface StoredCostVersion {
  id: number;
  cost_per_kwh: number;
  currency: string;
  effective_from: string;
  scope: Scope;
  scope_id: string | null;
  note: string | null;
  created_at: string;
}

/** Invalid input, or a scope the registry does not know: the caller's to fix (CLI exit code 2, API 400). */
export class CostInputError extends Error {}

interface Row {
  id: string;
  cost_per_kwh: string;
  currency: string;
  effective_from: Date;
  scope: Scope;
  scope_id: string | null;
  note: string | null;
  created_at: Date;
}

const stored = (r: Row): StoredCostVersion => ({
  id: Number(r.id),
  cost_per_kwh: Number(r.cost_per_kwh),
  currency: r.currency,
  effective_from: r.effective_from.toISOString(),
  scope: r.scope,
  scope_id: r.scope_id,
  note: r.note,
  created_at: r.created_at.toISOString(),
});

export function toCostVersion(v: StoredCostVersion): CostVersion {
  return {
    cost_per_kwh: v.cost_per_kwh,
    currency: v.currency,
    effective_from: Date.parse(v.effective_from),
    scope:
      v.scope === "global"
        ? { kind: "global" }
        : v.scope === "site"
          ? { kind: "site", site_id: v.scope_id ?? "" }
          : { kind: "device", device_id: v.scope_id ?? "" },
  };
}

/** Every version, oldest created first (of two with one `effective_from`, the later created wins). */
export async function loadVersions(pool: pg.Pool): Promise<StoredCostVersion[]> {
  const { rows } = await pool.query<Row>("SELECT * FROM cost_versions ORDER BY created_at, id");
  return rows.map(stored);
}

export function checkInput(input: CostVersionInput): CostVersionInput & { effective_from: number } {
  const problems: string[] = [];
  const rate = input.cost_per_kwh;
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate < 0 || rate > 1e6)
    problems.push("rate must be a number from 0 to 1000000 per kWh");
  if (typeof input.currency !== "string" || !/^[A-Z]{3}$/.test(input.currency))
    problems.push(
      `currency ${JSON.stringify(input.currency)} must be an ISO 4217 code in capitals, e.g. EUR`,
    );
  const from = parseTimestamp(
    typeof input.effective_from === "string" ? input.effective_from.trim() : input.effective_from,
  );
  if (typeof from === "string")
    problems.push(
      `effective from ${JSON.stringify(input.effective_from)}: ${from.replace(/^ts: /, "")}; expected ISO-8601 with Z or an offset`,
    );
  if (!["global", "site", "device"].includes(input.scope))
    problems.push("scope must be global, site or device");
  const id = input.scope_id ?? null;
  if (input.scope === "global" && id !== null) problems.push("a global version names no site or device");
  if (input.scope !== "global" && (typeof id !== "string" || id.trim() === ""))
    problems.push(`a ${input.scope} version needs the ${input.scope} id`);
  if (problems.length > 0 || typeof from === "string") throw new CostInputError(problems.join("; "));
  return { ...input, effective_from: from };
}

/** Inserts a checked version; an unknown site or device is refused by the registry's trigger. */
export async function insertVersion(
  pool: pg.Pool,
  input: ReturnType<typeof checkInput>,
): Promise<StoredCostVersion> {
  try {
    const { rows } = await pool.query<Row>(
      `INSERT INTO cost_versions (cost_per_kwh, currency, effective_from, scope, scope_id, note)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [
        input.cost_per_kwh,
        input.currency,
        new Date(input.effective_from).toISOString(),
        input.scope,
        input.scope_id ?? null,
        input.note ?? null,
      ],
    );
    return stored(rows[0] as Row);
  } catch (e) {
    // 23503: the scope's site or device is unknown; 23514: a CHECK the input check above did not foresee.
    const code = (e as { code?: string }).code;
    if (code === "23503" || code === "23514") throw new CostInputError((e as Error).message);
    throw e;
  }
}
