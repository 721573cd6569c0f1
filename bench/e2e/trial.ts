// One trial of bench/e2e: publish at a rate for a while, sampling how far behind each consumer is (from MQTT
// publish to its committed offset), then let the backlog drain. A rate is sustained when the publisher kept up, no
// consumer was ever 2 s or more behind and everything drained (the stored rows are counted once, after all trials).
// A trial starts once QuestDB has applied what the trials before it wrote: a trial that overloaded the pipe leaves
// WAL transactions to apply, whose work would otherwise count against the next trial.
import { Backlog } from "./backlog.ts";
import type { Fleet } from "./fleet.ts";
import type { Publisher } from "./publisher.ts";

export const MAX_LAG_MS = 2000;
const SAMPLE_MS = 250;
const DRAIN_TIMEOUT_MS = 120_000;

export interface Stage {
  name: string;
  /** Records this consumer has taken in, in all (committed offsets summed, or a processor's own count). */
  done(): Promise<number>;
}

export interface TrialResult {
  rate: number;
  seconds: number;
  /** Acknowledged by the broker per second over the trial. */
  published: number;
  maxLagMs: Record<string, number>;
  drained: boolean;
  ok: boolean;
}

export interface Trial {
  publisher: Publisher;
  fleet: Fleet;
  stages: Stage[];
  /** Resolves once the storage has caught up with what earlier trials wrote, so that each trial starts quiet. */
  settle(): Promise<void>;
}

export async function runTrial(t: Trial, rate: number, seconds: number): Promise<TrialResult> {
  await t.settle();
  const backlog = new Backlog();
  const maxLagMs: Record<string, number> = Object.fromEntries(t.stages.map((s) => [s.name, 0]));
  const ackedBefore = t.publisher.acked;
  let sampling = true;
  /** The most the broker had acknowledged when a sample found every consumer past it. */
  let caughtUpTo = -1;
  const sampler = (async () => {
    while (sampling) {
      const upstream = t.publisher.acked;
      backlog.record(Date.now(), upstream);
      const done = await Promise.all(t.stages.map((s) => s.done()));
      const now = Date.now();
      t.stages.forEach((s, i) => {
        maxLagMs[s.name] = Math.max(maxLagMs[s.name] as number, backlog.age(now, done[i] as number));
      });
      if (done.every((n) => n >= upstream)) caughtUpTo = upstream;
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
  })();
  const start = performance.now();
  const { sent, due } = await t.publisher.run(rate, seconds, (now) => t.fleet.reading(now));
  await t.publisher.settled();
  const published = (t.publisher.acked - ackedBefore) / ((performance.now() - start) / 1000);
  const expected = t.publisher.acked;
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (caughtUpTo < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, SAMPLE_MS));
  sampling = false;
  await sampler;
  const drained = caughtUpTo >= expected;
  const ok =
    sent >= 0.97 * due &&
    t.publisher.failed === 0 &&
    drained &&
    Object.values(maxLagMs).every((ms) => ms < MAX_LAG_MS);
  return { rate, seconds, published, maxLagMs, drained, ok };
}

export function describe(r: TrialResult): string {
  const lags = Object.entries(r.maxLagMs)
    .map(([name, ms]) => `${name} ${ms} ms`)
    .join(", ");
  return (
    `${r.ok ? "ok  " : "FAIL"} ${Math.round(r.rate)}/s for ${r.seconds} s: published ${Math.round(r.published)}/s, ` +
    `max lag ${lags}${r.drained ? "" : " (not drained)"}`
  );
}
