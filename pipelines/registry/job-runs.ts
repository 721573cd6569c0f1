// Records a one-shot job in job_runs: a row when it starts, its outcome and summary when it ends, the error when
// it fails. Written outside the job's own transaction, so a failed job is recorded too.
import type pg from "pg";

export async function withJobRun<T>(
  pool: pg.Pool,
  job: string,
  run: () => Promise<T>,
  summarise: (result: T) => Record<string, unknown>,
): Promise<T> {
  const started = await pool.query<{ id: string }>("INSERT INTO job_runs (job) VALUES ($1) RETURNING id", [
    job,
  ]);
  const id = started.rows[0]?.id;
  const finish = (status: "succeeded" | "failed", summary: Record<string, unknown>) =>
    pool.query("UPDATE job_runs SET status = $2, finished_at = now(), summary = $3 WHERE id = $1", [
      id,
      status,
      JSON.stringify(summary),
    ]);
  try {
    const result = await run();
    await finish("succeeded", summarise(result));
    return result;
  } catch (e) {
    await finish("failed", { error: (e as Error).message });
    throw e;
  }
}
