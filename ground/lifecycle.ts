// Clean shutdown for long-running processes: the first SIGINT/SIGTERM runs the closers in reverse order, a second one
// forces exit, and so does a shutdown that takes longer than STOP_DEADLINE_MS. A process started with an IPC channel
// (a child of `wattline start`) also shuts down when that channel closes: its parent has ended, however it ended
// (SIGKILL included), and a component must not outlive it holding its ports.
import type { Logger } from "./logger.ts";

type Closer = () => Promise<void> | void;

const closers: Closer[] = [];
let installed = false;
let stopping = false;

const STOP_DEADLINE_MS = 30_000;

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
    setTimeout(() => {
      logger.warn({ signal }, `still stopping after ${STOP_DEADLINE_MS} ms: exiting now`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
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
  if (process.channel) {
    process.once("disconnect", () => void stop("parent gone"));
    // The channel is a way to notice the parent's end, not a reason to stay up.
    process.channel.unref();
  }
}
