// State of charge (seed 003's rule). A battery array's SOC is the mean of its packs' known SOCs. A system's SOC
// comes from its packs when any pack's SOC is known, else from its inverters (the SOC they report for the
// battery they drive). A value is known when it is a number within 0–100 and, if a maximum age is given, no
// older than that: a pack that stopped reporting yesterday does not speak for now.

export interface SocSample {
  soc_pct: number | null;
  observed_at?: Date | null;
}

export interface SocOptions {
  now?: Date;
  /** Samples older than this (or without a time) are unknown; no limit when absent. */
  maxAgeS?: number;
}

export interface SocResult {
  soc_pct: number | null;
  /** How many samples were known, of how many. */
  known: number;
  of: number;
}

export interface SystemSoc extends SocResult {
  source: "packs" | "inverters" | null;
}

function isKnown(
  sample: SocSample,
  { now = new Date(), maxAgeS }: SocOptions,
): sample is { soc_pct: number } {
  const { soc_pct, observed_at } = sample;
  if (soc_pct === null || !Number.isFinite(soc_pct) || soc_pct < 0 || soc_pct > 100) return false;
  if (maxAgeS === undefined) return true;
  return observed_at != null && now.getTime() - observed_at.getTime() <= maxAgeS * 1000;
}

/** A battery array's SOC from its packs, or any mean of known SOCs. */
export function meanSoc(samples: readonly SocSample[], opts: SocOptions = {}): SocResult {
  const known = samples.filter((s) => isKnown(s, opts)).map((s) => s.soc_pct);
  const soc_pct = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : null;
  return { soc_pct, known: known.length, of: samples.length };
}

export function systemSoc(
  packs: readonly SocSample[],
  inverters: readonly SocSample[],
  opts: SocOptions = {},
): SystemSoc {
  const fromPacks = meanSoc(packs, opts);
  if (fromPacks.soc_pct !== null) return { ...fromPacks, source: "packs" };
  const fromInverters = meanSoc(inverters, opts);
  return { ...fromInverters, source: fromInverters.soc_pct === null ? null : "inverters" };
}
