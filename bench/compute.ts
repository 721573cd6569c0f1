// Benchmark of `wattline compute`: generates a fleet's readings into a temp file, then times (a) a baseline that
// only reads the lines and JSON.parses them and (b) the command's own code path into a null sink, and prints both
// rates and their ratio. Usage: node --import tsx bench/compute.ts [readings] (default 1,000,000).
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { loadRegistry, runCompute } from "../pipelines/compute/command.ts";

const READINGS = Number(process.argv[2] ?? 1_000_000);
const DEVICES = 300;
const ZONES = [
  "UTC",
  "Europe/Berlin",
  "Asia/Kolkata",
  "America/New_York",
  "Australia/Adelaide",
  "Asia/Kathmandu",
];
// Saturday before the EU spring-forward, so Berlin's DST change falls inside the data.
const START = Date.parse("2025-03-29T12:00:00Z");

/** Deterministic PRNG (mulberry32), so every run measures the same data. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Readings every minute per device, interleaved by time, with resets, reboots, glitches, spikes, duplicates,
 * swapped neighbours and invalid lines. */
async function generate(dir: string): Promise<{ input: string; devices: string }> {
  const rand = prng(42);
  const devices = Array.from({ length: DEVICES }, (_, i) => ({
    device_id: `dev-${String(i).padStart(4, "0")}`,
    timezone: ZONES[i % ZONES.length] as string,
    max_power_w: 5000,
    energy: rand() * 1e6,
    boot: 1,
  }));
  const lines: string[] = [];
  const steps = Math.ceil(READINGS / DEVICES);
  for (let step = 0; step < steps && lines.length < READINGS; step++) {
    for (const d of devices) {
      if (lines.length >= READINGS) break;
      const ts = START + step * 60_000 + Math.floor(rand() * 2000);
      d.energy += rand() * 60;
      let energy = d.energy;
      const fault = rand();
      if (fault < 0.0002) {
        d.boot++;
        d.energy = rand() * 5;
        energy = d.energy;
      } else if (fault < 0.0004) energy = 0;
      else if (fault < 0.0005) energy = 1e9;
      const reading = {
        device_id: d.device_id,
        ts: rand() < 0.5 ? new Date(ts).toISOString() : ts,
        energy_wh_total: Math.round(energy * 1000) / 1000,
        power_w: Math.round(rand() * 3600),
        boot_id: `boot-${d.boot}`,
        seq: step,
      };
      const line = JSON.stringify(reading);
      lines.push(line);
      if (rand() < 0.001) lines.push(line);
      if (rand() < 0.0001)
        lines.push('{"device_id":"broken","ts":"2025-03-29T12:00:00","energy_wh_total":1}');
    }
    if (rand() < 0.05 && lines.length > 2) {
      const i = lines.length - 1 - Math.floor(rand() * 50);
      const j = i - 1;
      if (j >= 0) [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
    }
  }
  const input = join(dir, "readings.ndjson");
  const registry = join(dir, "devices.json");
  await writeFile(input, `${lines.join("\n")}\n`);
  await writeFile(
    registry,
    JSON.stringify(
      devices.map(({ device_id, timezone, max_power_w }) => ({ device_id, timezone, max_power_w })),
    ),
  );
  return { input, devices: registry };
}

async function baseline(input: string): Promise<number> {
  let n = 0;
  for await (const line of createInterface({
    input: createReadStream(input),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    JSON.parse(line);
    n++;
  }
  return n;
}

async function full(input: string, devices: string): Promise<number> {
  const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
  const registry = await loadRegistry(devices);
  const summary = await runCompute({ input: createReadStream(input), registry, out: sink(), err: sink() });
  return summary.lines;
}

async function timed(run: () => Promise<number>): Promise<number> {
  const t0 = performance.now();
  const lines = await run();
  return lines / ((performance.now() - t0) / 1000);
}

const dir = await mkdtemp(join(tmpdir(), "wattline-bench-"));
try {
  const files = await generate(dir);
  // Alternate the two passes and keep each one's best, so that neither profits alone from warm-up or caches.
  let base = 0;
  let pipeline = 0;
  for (let round = 0; round < 3; round++) {
    base = Math.max(base, await timed(() => baseline(files.input)));
    pipeline = Math.max(pipeline, await timed(() => full(files.input, files.devices)));
  }
  const fmt = (rate: number) => `${Math.round(rate).toLocaleString("en-US")} readings/s`;
  console.log(`compute bench: ${READINGS.toLocaleString("en-US")} readings, ${DEVICES} devices`);
  console.log(`  baseline (read lines + JSON.parse): ${fmt(base)}`);
  console.log(`  wattline compute (null sink):       ${fmt(pipeline)}`);
  console.log(`  ratio: ${(pipeline / base).toFixed(2)} (target >= 0.5)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
