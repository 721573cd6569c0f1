import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../../ground/config.ts";
import { createLogger } from "../../../ground/logger.ts";
import { scheduleReconcile } from "../../../pipelines/jobs/reconcile-schedule.ts";

const logger = createLogger("test", "silent");
const job = async () => ({});

test("schedule: the cron expression runs in the configured zone", async () => {
  const schedule = scheduleReconcile(
    { cron: "0 2 * * *", timezone: "Asia/Kolkata", silentIntervals: 10 },
    job,
    logger,
  );
  try {
    const next = schedule.next();
    assert.ok(next);
    // 02:00 in Kolkata (UTC+05:30) is 20:30 UTC the evening before.
    assert.equal(next.toISOString().slice(11), "20:30:00.000Z");
  } finally {
    await schedule.stop();
  }
});

test("schedule: a bad expression or zone is a configuration error naming the variable", () => {
  assert.throws(
    () => scheduleReconcile({ cron: "at two", timezone: "UTC", silentIntervals: 10 }, job, logger),
    (e: unknown) => e instanceof ConfigError && /WATTLINE_RECONCILE_CRON/.test(e.message),
  );
  assert.throws(
    () =>
      scheduleReconcile({ cron: "0 2 * * *", timezone: "Mars/Olympus", silentIntervals: 10 }, job, logger),
    (e: unknown) => e instanceof ConfigError && /WATTLINE_RECONCILE_TZ/.test(e.message),
  );
});

test("schedule: stopping aborts the run in progress and waits for it", async () => {
  let aborted = false;
  let started!: () => void;
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  const slow = (signal: AbortSignal) =>
    new Promise((_, reject) => {
      started();
      signal.addEventListener("abort", () => {
        aborted = true;
        reject(signal.reason);
      });
    });
  const schedule = scheduleReconcile(
    { cron: "* * * * * *", timezone: "UTC", silentIntervals: 10 },
    slow,
    logger,
  );
  await running;
  await schedule.stop();
  assert.equal(aborted, true);
});
