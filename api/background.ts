// Jobs the API starts without waiting for them (a replay reads the whole telemetry topic): a job_runs row at once,
// progress merged into its summary while it runs (at most once a second), the outcome at the end. Each process runs
// its own jobs; stopping the process marks its running jobs failed, so that no row says "running" for ever.
import type pg from "pg";
import type { Logger } from "../ground/logger.ts";
import { row } from "./db.ts";

const PROGRESS_EVERY_MS = 1000;

export interface JobRun {
  id: number;
  job: string;
  status: "running" | "succeeded" | "failed";
  started_at: string;
  finished_at: string | null;
  summary: Record<string, unknown>;
}

export const JOB_COLUMNS = "id, job, status, started_at, finished_at, summary";

/** What a job reports while it runs; merged into job_runs.summary under `progress`. */
export type Report = (progress: Record<string, unknown>) => void;

export class BackgroundJobs {
  readonly #running = new Map<number, { job: string; done: Promise<void> }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger?: Logger,
  ) {}

  /** The id of a running job of this name in this process, if any. */
  runningId(job: string): number | undefined {
    for (const [id, r] of this.#running) if (r.job === job) return id;
    return undefined;
  }

  async start(
    job: string,
    summary: Record<string, unknown>,
    run: (report: Report) => Promise<Record<string, unknown>>,
  ): Promise<JobRun> {
    const created = await row<JobRun>(
      this.pool,
      `INSERT INTO job_runs (job, summary) VALUES ($1, $2) RETURNING ${JOB_COLUMNS}`,
      [job, JSON.stringify(summary)],
    );
    if (created === undefined) throw new Error("insert into job_runs returned no row");
    // Writes are chained so that a late progress write never lands after the outcome.
    let writes = Promise.resolve();
    const write = (sql: string, values: unknown[]) => {
      writes = writes
        .then(() => this.pool.query(sql, values))
        .then(
          () => {},
          (err) => this.logger?.warn({ err, job_run: created.id }, "job_runs write failed"),
        );
      return writes;
    };
    let reportedAt = 0;
    const report: Report = (progress) => {
      if (Date.now() - reportedAt < PROGRESS_EVERY_MS) return;
      reportedAt = Date.now();
      void write("UPDATE job_runs SET summary = summary || $2 WHERE id = $1 AND status = 'running'", [
        created.id,
        JSON.stringify({ progress }),
      ]);
    };
    const finish = (status: "succeeded" | "failed", outcome: Record<string, unknown>) =>
      write(
        `UPDATE job_runs SET status = $2, finished_at = now(), summary = summary || $3
         WHERE id = $1 AND status = 'running'`,
        [created.id, status, JSON.stringify({ ...outcome, progress: null })],
      );
    const done = run(report).then(
      (result) => finish("succeeded", result),
      (err: Error) => {
        this.logger?.error({ err, job, job_run: created.id }, "background job failed");
        return finish("failed", { error: err.message });
      },
    );
    this.#running.set(created.id, { job, done: done.finally(() => this.#running.delete(created.id)) });
    return created;
  }

  /** Marks this process's running jobs failed (they end with it). */
  async stop(): Promise<void> {
    const ids = [...this.#running.keys()];
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE job_runs SET status = 'failed', finished_at = now(),
         summary = summary || '{"error": "the API process stopped before the job finished"}'
       WHERE id = ANY($1) AND status = 'running'`,
      [ids],
    );
  }
}
