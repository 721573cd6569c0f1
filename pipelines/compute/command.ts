// `wattline compute`: the batch shell around the energy core. Reads readings and meter replacements (NDJSON),
// reports invalid lines on stderr, and prints hourly and daily energy (then anomalies) as NDJSON, sorted by device,
// then time.
import { once } from "node:events";
import { open, readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { computeDevice } from "../core/batch.ts";
import type { Reading } from "../core/reading.ts";
import {
  type DeviceInput,
  isReplacement,
  type MeterReplacement,
  parseInputLine,
} from "../core/replacement.ts";
import { type AnomalyRow, anomalyRows, energyRows } from "../core/rows.ts";
import { parseRegistry, type Registry, settingsFor } from "../core/settings.ts";

export interface ComputeSummary {
  lines: number;
  invalid: number;
  readings: number;
  replacements: number;
  devices: number;
}

/** A problem with the command's arguments or files: reported in one line, exit code 2. */
class UsageError extends Error {}

export async function compute(opts: { input: string; devices?: string }): Promise<void> {
  // A closed pipe (`| head`) ends the output, not the process with a stack trace.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(0);
  });
  try {
    const registry: Registry = opts.devices === undefined ? new Map() : await loadRegistry(opts.devices);
    const input = opts.input === "-" ? process.stdin : await openInput(opts.input);
    await runCompute({ input, registry, out: process.stdout, err: process.stderr });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`wattline compute: ${e.message}\n`);
    process.exitCode = 2;
  }
}

export async function loadRegistry(path: string): Promise<Registry> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read devices file ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`devices file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = parseRegistry(value);
  if (!parsed.ok) throw new UsageError(`devices file ${path}: ${parsed.error}`);
  return parsed.registry;
}

async function openInput(path: string): Promise<Readable> {
  try {
    const file = await open(path, "r");
    // Pipes and process substitution (`--input <(zcat readings.gz)`) are fine; a directory fails late and vaguely.
    if ((await file.stat()).isDirectory()) throw new Error("is a directory");
    return file.createReadStream();
  } catch (e) {
    throw new UsageError(`cannot read input ${path}: ${(e as Error).message}`);
  }
}

const BLANK = /^\s*$/;

/** The whole command on given streams (the bench runs exactly this). */
export async function runCompute(io: {
  input: Readable;
  registry: Registry;
  out: Writable;
  err: Writable;
}): Promise<ComputeSummary> {
  const out = bufferedWriter(io.out);
  const err = bufferedWriter(io.err);
  const byDevice = new Map<string, Received>();
  const summary: ComputeSummary = { lines: 0, invalid: 0, readings: 0, replacements: 0, devices: 0 };

  for await (const line of createInterface({ input: io.input, crlfDelay: Number.POSITIVE_INFINITY })) {
    const n = ++summary.lines;
    const parsed = parseInputLine(line);
    if (typeof parsed !== "string") {
      let columns = byDevice.get(parsed.device_id);
      if (columns === undefined) {
        columns = received();
        byDevice.set(parsed.device_id, columns);
      }
      if (isReplacement(parsed)) {
        columns.replacements.push(parsed);
        summary.replacements++;
      } else {
        keep(columns, parsed);
        summary.readings++;
      }
    } else if (!BLANK.test(line)) {
      summary.invalid++;
      await err.write(`line ${n}: ${parsed}\n`);
    }
  }
  await err.flush();

  const anomalies: AnomalyRow[] = [];
  for (const id of [...byDevice.keys()].sort()) {
    const result = computeDevice(inputsOf(id, byDevice.get(id) as Received), settingsFor(io.registry, id));
    byDevice.delete(id);
    for (const row of energyRows(result)) await out.write(`${JSON.stringify(row)}\n`);
    anomalies.push(...anomalyRows(result));
    summary.devices++;
  }
  for (const row of anomalies) await out.write(`${JSON.stringify(row)}\n`);
  await out.flush();
  return summary;
}

/**
 * One device's readings as received, kept in typed-array columns of what accounting uses (boot ids as indexes into
 * the device's distinct ones): a million small objects, or arrays of them, that all survive until the end cost
 * more in garbage collection than the whole fold.
 */
interface Received {
  count: number;
  ts: Float64Array;
  energy: Float64Array;
  /** Index into `boots`, -1 when the reading has no boot id. */
  boot: Int32Array;
  boots: string[];
  /** Meter replacements, as received (few: kept as objects). */
  replacements: MeterReplacement[];
}

function received(): Received {
  return {
    count: 0,
    ts: new Float64Array(16),
    energy: new Float64Array(16),
    boot: new Int32Array(16),
    boots: [],
    replacements: [],
  };
}

function keep(columns: Received, r: Reading): void {
  const i = columns.count++;
  if (i === columns.ts.length) {
    columns.ts = grown(columns.ts, new Float64Array(2 * i));
    columns.energy = grown(columns.energy, new Float64Array(2 * i));
    columns.boot = grown(columns.boot, new Int32Array(2 * i));
  }
  columns.ts[i] = r.ts;
  columns.energy[i] = r.energy_wh_total;
  let boot = -1;
  if (r.boot_id !== undefined) {
    boot = columns.boots.lastIndexOf(r.boot_id);
    if (boot < 0) boot = columns.boots.push(r.boot_id) - 1;
  }
  columns.boot[i] = boot;
}

function grown<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * The device's readings, then its replacements, each in the order received: the core orders them by time, a
 * reading before an event at one ts, stably within each kind.
 */
function inputsOf(device_id: string, columns: Received): DeviceInput[] {
  const readings = new Array<DeviceInput>(columns.count);
  for (let i = 0; i < columns.count; i++) {
    readings[i] = {
      device_id,
      ts: columns.ts[i] as number,
      energy_wh_total: columns.energy[i] as number,
      boot_id: columns.boots[columns.boot[i] as number],
    };
  }
  for (const e of columns.replacements) readings.push(e);
  return readings;
}

/** Collects writes into chunks of about 64 KiB and waits for `drain` when the stream asks to. */
function bufferedWriter(stream: Writable) {
  let chunk = "";
  const flush = async () => {
    if (chunk === "") return;
    const data = chunk;
    chunk = "";
    if (!stream.write(data)) await once(stream, "drain");
  };
  return {
    write: (s: string): Promise<void> | undefined => {
      chunk += s;
      return chunk.length >= 65_536 ? flush() : undefined;
    },
    flush,
  };
}
