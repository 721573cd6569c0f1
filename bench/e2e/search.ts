// The highest rate a pipeline sustains: short probes climb by half again while they pass (never above what the
// publisher alone reached) or halve until one passes, two bisections narrow the step that failed, then the best
// rate must hold for the full duration; if it does not, 15 % less is tried until one does, and then the rate halfway
// back up to the last failure. A short probe passes rates that a pipeline only absorbs for a while (its buffers
// fill), so the full-duration trials may have to come down a long way.
// A failed trial is followed by `recover` before the next one: a stateful pipeline still holds what the overload
// brought in (the ledger holds every reading of its devices' last WATTLINE_ALLOWED_LATENESS_MS of event time), and
// the next trial would otherwise measure the aftermath of that overload instead of its own rate (bench/e2e, 10,000
// devices: 12,000 readings/s held for 60 s twice from a steady start, while 12,192 and 10,363 failed right after the
// probes at 20,250 and 18,563).
import { describe, runTrial, type Trial, type TrialResult } from "./trial.ts";

export interface SearchOptions {
  start: number;
  ceiling: number;
  probeSeconds: number;
  sustainSeconds: number;
  /** Brings the pipeline back to a steady state after a failed trial. */
  recover(): Promise<void>;
}

export interface SearchResult {
  /** The rate that held for the full duration; 0 when none did. */
  rate: number;
  sustained: TrialResult | undefined;
  trials: TrialResult[];
}

export async function highestSustained(t: Trial, o: SearchOptions, log: (line: string) => void) {
  const trials: TrialResult[] = [];
  const probe = async (rate: number, seconds: number) => {
    const r = await runTrial(t, Math.round(rate), seconds);
    trials.push(r);
    log(describe(r));
    if (!r.ok) await o.recover();
    return r.ok;
  };
  let lo = 0;
  let hi = Math.min(o.start, o.ceiling);
  while (hi <= o.ceiling && (await probe(hi, o.probeSeconds))) {
    lo = hi;
    if (hi === o.ceiling) break;
    hi = Math.min(hi * 1.5, o.ceiling);
  }
  if (lo === 0) {
    // Even the starting rate failed: halve until one passes; the rate above it is the one to bisect towards.
    for (let rate = hi / 2; rate >= 50 && lo === 0; rate /= 2) {
      if (await probe(rate, o.probeSeconds)) lo = rate;
      else hi = rate;
    }
  }
  if (lo > 0 && lo < hi) {
    for (let i = 0; i < 2; i++) {
      const mid = (lo + hi) / 2;
      if (await probe(mid, o.probeSeconds)) lo = mid;
      else hi = mid;
    }
  }
  let failed: number | undefined;
  for (; lo >= 50; lo *= 0.85) {
    if (await probe(lo, o.sustainSeconds)) break;
    failed = lo;
  }
  if (lo < 50) return { rate: 0, sustained: undefined, trials } satisfies SearchResult;
  let sustained = trials.at(-1);
  if (failed !== undefined) {
    // The 15 % step down overshoots by up to 15 %: one full-duration bisection halves that.
    const mid = (lo + failed) / 2;
    if (await probe(mid, o.sustainSeconds)) {
      lo = mid;
      sustained = trials.at(-1);
    }
  }
  return { rate: Math.round(lo), sustained, trials } satisfies SearchResult;
}
