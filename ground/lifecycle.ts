// Clean shutdown for long-running processes: the first SIGINT/SIGTERM runs the closers in reverse order, a second one forces exit.
import type { Logger } from "./logger.ts";

type Closer = () => Promise<void> | void;

const closers: Closer[] = [];
let installed = false;
let stopping = false;

export function onShutdown(closer: Closer): void {
  closers.push(closer);
}

export function installShutdown(logger: Logger): void {
  if (installed) return;
  installed = true;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.error({ err }, "error during shutdown");
      }
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}
