// The pacing loop: takes readings when their simulated time comes due on the wall clock (simulated time runs
// `speed` times faster) and hands their messages to the sink, waiting when the sink asks to.
import { setImmediate as yieldToIo } from "node:timers/promises";
import type { FleetEngine } from "./engine.ts";
import type { Sink } from "./sink.ts";
import type { Stats } from "./stats.ts";

export interface Pace {
  speed: number | "max";
  startMs: number;
  /** Readings due at or after this simulated time are not taken. */
  endMs: number;
  signal: AbortSignal;
}

/** Longest sleep, so that a stop is noticed quickly. */
const MAX_SLEEP_MS = 100;
/** Readings between turns of the event loop when nothing else makes the loop wait (timers, signals, sockets). */
const YIELD_EVERY = 256;

export class Clock {
  private readonly wallStart = performance.now();
  constructor(private readonly pace: Pace) {}

  /** Where simulated time should be now; undefined when unpaced. */
  target(now: number = performance.now()): number | undefined {
    const { speed, startMs } = this.pace;
    return speed === "max" ? undefined : startMs + (now - this.wallStart) * speed;
  }

  /** Wall milliseconds until simulated `simMs` comes due; ≤ 0 when due. */
  waitFor(simMs: number, now: number = performance.now()): number {
    const { speed, startMs } = this.pace;
    return speed === "max" ? 0 : this.wallStart + (simMs - startMs) / speed - now;
  }
}

export async function run(
  engine: FleetEngine,
  sink: Sink,
  clock: Clock,
  pace: Pace,
  stats: Stats,
): Promise<void> {
  // A sink that never drains (broker gone) must not keep a stop from stopping.
  const aborted = new Promise<void>((resolve) =>
    pace.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  let sinceYield = 0;
  while (!pace.signal.aborted) {
    const due = engine.nextDueMs();
    if (due >= pace.endMs) return;
    const wait = clock.waitFor(due);
    if (wait > 0) {
      await sleep(Math.min(wait, MAX_SLEEP_MS));
      continue;
    }
    for (const message of engine.step()) {
      const backpressure = sink.send(message);
      if (backpressure) await Promise.race([backpressure, aborted]);
    }
    stats.simMs = due;
    if (++sinceYield >= YIELD_EVERY) {
      sinceYield = 0;
      await yieldToIo();
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
