// Rates, cost and solar figures (spec: "Cost and derived figures").

export type CostScope =
  | { kind: "global" }
  | { kind: "site"; site_id: string }
  | { kind: "device"; device_id: string };

/** Immutable; a correction is a new version. */
export interface CostVersion {
  cost_per_kwh: number;
  currency: string;
  /** Epoch ms. */
  effective_from: number;
  scope: CostScope;
}

/** What a bucket is priced for: its device and the site the device belongs to, if any. */
export interface PricedTarget {
  device_id: string;
  site_id?: string;
}

const SPECIFICITY = { device: 2, site: 1, global: 0 } as const;

function specificity(scope: CostScope, target: PricedTarget): number | null {
  if (scope.kind === "global") return SPECIFICITY.global;
  if (scope.kind === "site") return scope.site_id === target.site_id ? SPECIFICITY.site : null;
  return scope.device_id === target.device_id ? SPECIFICITY.device : null;
}

/**
 * The version that prices the hour starting at `hourStart`: of the most specific scope that has a version in force
 * then, the one with the latest `effective_from` at or before it. `versions` are in creation order, so of two with
 * the same scope and `effective_from` the later one (a correction) wins.
 */
export function rateFor(
  versions: readonly CostVersion[],
  target: PricedTarget,
  hourStart: number,
): CostVersion | null {
  let best: CostVersion | null = null;
  let bestSpecificity = -1;
  for (const v of versions) {
    const s = specificity(v.scope, target);
    if (s === null || v.effective_from > hourStart) continue;
    if (
      s > bestSpecificity ||
      (s === bestSpecificity && v.effective_from >= (best as CostVersion).effective_from)
    ) {
      best = v;
      bestSpecificity = s;
    }
  }
  return best;
}

export function costOf(energy_wh: number, rate: CostVersion): { cost: number; currency: string } {
  return { cost: (energy_wh / 1000) * rate.cost_per_kwh, currency: rate.currency };
}

/**
 * Whether `added` (already appended to `versions`) re-prices the bucket at `hourStart` of `target`: true where it
 * is now the version in force, which for a past `effective_from` includes buckets already priced.
 */
export function repricedBy(
  versions: readonly CostVersion[],
  added: CostVersion,
  target: PricedTarget,
  hourStart: number,
): boolean {
  return rateFor(versions, target, hourStart) === added;
}

export const DEFAULT_EMISSION_FACTOR_KG_PER_KWH = 0.5;
export const CO2_KG_PER_TREE_YEAR = 21;

export interface SolarFigures {
  savings: number;
  co2_offset_kg: number;
  trees_equivalent: number;
}

/** What solar generation saved: at the tariff, in CO2 (at the site's emission factor), and in tree-years. */
export function solarFigures(
  generation_wh: number,
  tariff_per_kwh: number,
  emissionFactorKgPerKwh = DEFAULT_EMISSION_FACTOR_KG_PER_KWH,
): SolarFigures {
  const kwh = generation_wh / 1000;
  const co2_offset_kg = kwh * emissionFactorKgPerKwh;
  return {
    savings: kwh * tariff_per_kwh,
    co2_offset_kg,
    trees_equivalent: co2_offset_kg / CO2_KG_PER_TREE_YEAR,
  };
}

export interface Priced {
  cost: number | null;
  currency: string | null;
}

/** A day's cost: the sum of its priced hours in time order, in the first priced hour's currency; none if none is. */
export function dayCost(hours: readonly Priced[]): Priced {
  const priced = hours.filter((h) => h.cost !== null);
  if (priced.length === 0) return { cost: null, currency: null };
  return {
    cost: priced.reduce((sum, h) => sum + (h.cost as number), 0),
    currency: priced.find((h) => h.currency)?.currency ?? null,
  };
}
