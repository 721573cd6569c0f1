// Runs a task every `intervalMs`, measured from the end of the previous run, so runs never overlap; a failing run
// is logged and the next one comes as usual.
import type { Logger } from "../../ground/logger.ts";

export interface Periodic {
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

export function every(
  intervalMs: number,
  task: () => Promise<unknown>,
  logger: Logger,
  what: string,
): Periodic {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = () => {
    timer = setTimeout(() => {
      running = task()
        .then(
          () => {},
          (err: Error) => logger.error({ err }, `${what} failed`),
        )
        .finally(() => {
          if (!stopped) schedule();
        });
    }, intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
