// Counters for a run and the progress line logged every 10 s.
import type { Logger } from "../../ground/logger.ts";
import type { FaultKind } from "./fault-kinds.ts";
import { iso, type Message } from "./messages.ts";

export class Stats {
  sent = 0;
  delivered = 0;
  failed = 0;
  readonly faults: Partial<Record<FaultKind, number>> = {};
  /** Simulated time of the latest reading taken. */
  simMs: number;
  readonly startedAt = performance.now();

  constructor(startMs: number) {
    this.simMs = startMs;
  }

  countSent(m: Message): void {
    this.sent += 1;
    if (m.fault) this.faults[m.fault] = (this.faults[m.fault] ?? 0) + 1;
  }

  get inFlight(): number {
    return this.sent - this.delivered - this.failed;
  }

  /** Messages delivered per wall second since the start. */
  averageRate(now: number = performance.now()): number {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? this.delivered / seconds : 0;
  }
}

/** Logs progress every `everyMs`; returns the function that stops it. */
export function startReporter(
  stats: Stats,
  logger: Logger,
  behind: () => number | undefined,
  everyMs = 10_000,
): () => void {
  let lastAt = performance.now();
  let lastDelivered = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const rate = ((stats.delivered - lastDelivered) * 1000) / (now - lastAt);
    lastAt = now;
    lastDelivered = stats.delivered;
    logger.info(
      {
        published: stats.delivered,
        rate_per_s: Math.round(rate),
        in_flight: stats.inFlight,
        failed: stats.failed,
        sim_time: iso(stats.simMs),
        behind_s: behind(),
        faults: stats.faults,
      },
      "simulating",
    );
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
