// The reconciliation on its cron schedule, in the configured zone. Never two runs at once; stopping waits for the
// run in progress, which stops between chunks of devices and is recorded as failed.
import { IANAZone } from "luxon";
import cron from "node-cron";
import { type Config, ConfigError } from "../../ground/config.ts";
import type { Logger } from "../../ground/logger.ts";

export interface Schedule {
  /** When the job runs next (for the start log). */
  next(): Date | null;
  stop(): Promise<void>;
}

export function scheduleReconcile(
  settings: Config["jobs"]["reconcile"],
  job: (signal: AbortSignal) => Promise<unknown>,
  logger: Logger,
): Schedule {
  if (!cron.validate(settings.cron))
    throw new ConfigError(`WATTLINE_RECONCILE_CRON: not a cron expression: ${settings.cron}`);
  if (!IANAZone.isValidZone(settings.timezone))
    throw new ConfigError(`WATTLINE_RECONCILE_TZ: unknown time zone: ${settings.timezone}`);
  const abort = new AbortController();
  let inFlight: Promise<unknown> | undefined;
  const tick = async () => {
    inFlight = job(abort.signal).then(
      (summary) => logger.info({ summary }, "reconciliation done"),
      (err: Error) => logger.error({ err: err.message }, "reconciliation failed"),
    );
    await inFlight;
  };
  const task = cron.schedule(settings.cron, tick, {
    name: "energy.reconcile",
    timezone: settings.timezone,
    noOverlap: true,
  });
  return {
    next: () => task.getNextRun(),
    async stop() {
      await task.destroy();
      abort.abort();
      await inFlight;
    },
  };
}
