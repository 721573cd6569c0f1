// Records sync runs in job_runs. A run with any failure is recorded as failed (its summary says which sites and
// modules; the rest was written). Written outside the sync's own transactions, so a failed run is recorded too.
import type pg from "pg";

export type JobStatus = "succeeded" | "failed";

/** Inserts a running row; the returned function finishes it. */
export async function startJobRun(
  pool: pg.Pool,
  job: string,
): Promise<(status: JobStatus, summary: object) => Promise<void>> {
  const { rows } = await pool.query<{ id: string }>("INSERT INTO job_runs (job) VALUES ($1) RETURNING id", [
    job,
  ]);
  const id = rows[0]?.id;
  return async (status, summary) => {
    await pool.query("UPDATE job_runs SET status = $2, finished_at = now(), summary = $3 WHERE id = $1", [
      id,
      status,
      JSON.stringify(summary),
    ]);
  };
}

/** Inserts a finished run in one statement (a processor's batch: nothing to see while it runs). */
export async function recordJobRun(
  pool: pg.Pool,
  job: string,
  startedAt: Date,
  status: JobStatus,
  summary: object,
): Promise<void> {
  await pool.query(
    "INSERT INTO job_runs (job, started_at, finished_at, status, summary) VALUES ($1, $2, now(), $3, $4)",
    [job, startedAt, status, JSON.stringify(summary)],
  );
}

export const statusOf = (report: { failed: number }): JobStatus =>
  report.failed > 0 ? "failed" : "succeeded";
