// `wattline replay --from <ts> --to <ts> [--device ID…] [--dry-run] [--with-readings] [--workers N]`: progress on
// stderr (bars on a terminal, a line a second otherwise), the JSON summary on stdout. A run that writes is recorded
// in job_runs.
import { MultiBar, type SingleBar } from "cli-progress";
import { loadConfig } from "../../ground/config.ts";
import { createLogger } from "../../ground/logger.ts";
import { postgresPool } from "../../ground/postgres.ts";
import { migrate } from "../../schemas/postgres/migrate.ts";
import { withJobRun } from "../registry/job-runs.ts";
import {
  checkReplayOptions,
  ReplayInputError,
  type ReplayProgress,
  type ReplaySummary,
  replayRange,
} from "./replay.ts";

/** The command's options, as commander parses them. */
export interface ReplayCommandOptions {
  from: string;
  to: string;
  device?: string[];
  dryRun?: boolean;
  withReadings?: boolean;
  workers?: string;
}

export async function replayCommand(opts: ReplayCommandOptions): Promise<void> {
  const devices = opts.device ? { devices: opts.device } : {};
  const workers = opts.workers === undefined ? {} : { workers: Number(opts.workers) };
  try {
    checkReplayOptions({ from: opts.from, to: opts.to, ...devices, ...workers });
  } catch (e) {
    if (!(e instanceof ReplayInputError)) throw e;
    process.stderr.write(`wattline replay: ${e.message}\n`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  // The registry (device settings, cost versions, job runs) may be new: what the replay reads must exist.
  await migrate(config, createLogger("migrate", "warn"));
  const progress = new ProgressView(process.stderr);
  const run = () =>
    replayRange(config, {
      from: opts.from,
      to: opts.to,
      ...devices,
      ...workers,
      dryRun: opts.dryRun === true,
      withReadings: opts.withReadings === true,
      onProgress: (p) => progress.update(p),
    });
  let summary: ReplaySummary;
  const pool = opts.dryRun ? undefined : postgresPool(config, 1);
  try {
    summary = pool
      ? await withJobRun(pool, "ledger.replay", run, (s) => ({ ...s, per_device: undefined }))
      : await run();
  } finally {
    progress.stop();
    await pool?.end();
  }
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

/** At most one redraw a second; the last state is drawn when the pass changes and at the end. */
class ProgressView {
  #last: ReplayProgress | undefined;
  #drawnAt = 0;
  #pass = 0;
  #bars: MultiBar | undefined;
  #partitionBars = new Map<number, SingleBar>();

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(p: ReplayProgress): void {
    if (p.pass !== this.#pass) {
      if (this.#last) this.#draw(this.#last);
      this.#closeBars();
      this.#pass = p.pass;
      this.#drawnAt = 0;
    }
    this.#last = p;
    if (Date.now() - this.#drawnAt >= 1000) this.#draw(p);
  }

  stop(): void {
    if (this.#last) this.#draw(this.#last);
    this.#closeBars();
  }

  #draw(p: ReplayProgress): void {
    this.#drawnAt = Date.now();
    if (!this.out.isTTY) {
      const read = p.partitions.reduce((n, x) => n + x.read, 0);
      const total = p.partitions.reduce((n, x) => n + x.total, 0);
      const parts = p.partitions.map((x) => `p${x.partition} ${x.read}/${x.total}`).join(", ");
      this.out.write(`replay pass ${p.pass}: ${read}/${total} records (${parts})\n`);
      return;
    }
    this.#bars ??= new MultiBar({
      stream: this.out,
      format: `pass ${p.pass} p{partition} [{bar}] {value}/{total} records`,
      hideCursor: true,
      fps: 1,
    });
    for (const x of p.partitions) {
      const bar = this.#partitionBars.get(x.partition);
      if (bar) bar.update(x.read);
      else
        this.#partitionBars.set(x.partition, this.#bars.create(x.total, x.read, { partition: x.partition }));
    }
  }

  #closeBars(): void {
    this.#bars?.stop();
    this.#bars = undefined;
    this.#partitionBars.clear();
  }
}
