import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { FleetEngine } from "../../../connectors/simulator/engine.ts";
import { generate } from "../../../connectors/simulator/generate.ts";
import type { Message } from "../../../connectors/simulator/messages.ts";
import { Clock, type Pace, run } from "../../../connectors/simulator/run.ts";
import type { Sink } from "../../../connectors/simulator/sink.ts";
import { Stats } from "../../../connectors/simulator/stats.ts";
import { ndjsonLine, StdoutSink } from "../../../connectors/simulator/stdout-sink.ts";

const START = Date.parse("2025-06-01T00:00:00Z");
const setup = {
  devices: 6,
  seed: 3,
  startMs: START,
  intervalS: 10,
  heartbeatS: 60,
  faults: null,
  timezones: ["UTC"],
  prefix: "t",
};

class Collect implements Sink {
  readonly messages: Message[] = [];
  constructor(private readonly slow = false) {}
  send(m: Message): undefined | Promise<void> {
    this.messages.push(m);
    // A sink that asks the caller to wait on every message.
    return this.slow ? new Promise((resolve) => setTimeout(resolve, 0)) : undefined;
  }
  async close(): Promise<void> {}
}

const pace = (speed: Pace["speed"], simS: number): Pace => ({
  speed,
  startMs: START,
  endMs: START + simS * 1000,
  signal: new AbortController().signal,
});

test("run: unpaced, it takes exactly the readings due before the end, in order", async () => {
  const sink = new Collect(true);
  const p = pace("max", 600);
  await run(FleetEngine.create(setup), sink, new Clock(p), p, new Stats(START));
  // generate() adds the greetings before and one farewell per device after the readings.
  const all = [...generate({ ...setup, simDurationS: 600 })];
  const greetings = FleetEngine.create(setup).greetings(START).length;
  assert.deepEqual(sink.messages, all.slice(greetings, all.length - setup.devices));
  assert.equal(sink.messages.filter((m) => m.topic.endsWith("/telemetry")).length, 6 * 60);
});

test("run: paced, simulated time runs `speed` times faster than the wall clock", async () => {
  const sink = new Collect();
  const p = pace(100, 30); // 30 simulated seconds at 100× take about 0.3 s
  const began = performance.now();
  await run(FleetEngine.create(setup), sink, new Clock(p), p, new Stats(START));
  const elapsed = performance.now() - began;
  assert.ok(elapsed >= 250 && elapsed < 3000, `${elapsed} ms`);
  assert.equal(sink.messages.filter((m) => m.topic.endsWith("/telemetry")).length, 6 * 3);
});

test("run: an abort stops it between readings", async () => {
  const sink = new Collect();
  const stop = new AbortController();
  const p = { ...pace(1, 3600), signal: stop.signal };
  setTimeout(() => stop.abort(), 200);
  const began = performance.now();
  await run(FleetEngine.create(setup), sink, new Clock(p), p, new Stats(START));
  assert.ok(performance.now() - began < 1000);
  assert.ok(sink.messages.length < 6 * 2 * 2);
});

test("stdout: NDJSON {topic, payload, fault?} lines, through a slow reader", async () => {
  let text = "";
  const out = new Writable({
    highWaterMark: 1024,
    write(chunk, _encoding, done) {
      text += chunk.toString();
      setTimeout(done, 1);
    },
  });
  const stats = new Stats(START);
  const sink = new StdoutSink(out, stats, () => assert.fail("stream failed"));
  const messages = [...generate({ ...setup, simDurationS: 3600 })];
  for (const m of messages) await sink.send(m);
  await sink.close();
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, messages.length);
  assert.equal(stats.delivered, messages.length);
  for (const [i, line] of lines.entries()) {
    const parsed = JSON.parse(line);
    assert.deepEqual(Object.keys(parsed), ["topic", "payload"]);
    assert.equal(parsed.topic, messages[i]?.topic);
  }
  const telemetry = messages.find((m) => m.topic.endsWith("/telemetry"));
  assert.ok(telemetry);
  assert.deepEqual(JSON.parse(ndjsonLine({ ...telemetry, fault: "dip" })), {
    topic: telemetry.topic,
    payload: telemetry.payload,
    fault: "dip",
  });
});
