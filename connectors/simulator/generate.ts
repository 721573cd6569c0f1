// A whole simulated span at once, without pacing or output: for tests and for making fixtures in code.
import { FleetEngine, type FleetSetup } from "./engine.ts";
import type { Message } from "./messages.ts";
import { DEFAULT_TIMEZONES } from "./options.ts";

export type GenerateOptions = Pick<FleetSetup, "devices" | "seed" | "startMs"> &
  Partial<FleetSetup> & { simDurationS: number };

/** Every message of the span in publishing order: greetings, readings and heartbeats, farewells. */
export function* generate(o: GenerateOptions): Generator<Message> {
  const engine = FleetEngine.create({
    intervalS: 60,
    heartbeatS: 300,
    faults: null,
    timezones: DEFAULT_TIMEZONES,
    prefix: "sim",
    ...o,
  });
  const endMs = o.startMs + o.simDurationS * 1000;
  yield* engine.greetings(o.startMs);
  let lastMs = o.startMs;
  while (engine.nextDueMs() < endMs) {
    lastMs = engine.nextDueMs();
    yield* engine.step();
  }
  yield* engine.farewells(lastMs);
}
