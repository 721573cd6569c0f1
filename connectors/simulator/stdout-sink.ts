// NDJSON out: one `{topic, payload, fault?}` line per message, for tests, fixtures and piping without a broker.
import type { Writable } from "node:stream";
import type { Message } from "./messages.ts";
import type { Sink } from "./sink.ts";
import type { Stats } from "./stats.ts";

export const ndjsonLine = (m: Message): string =>
  `${JSON.stringify({ topic: m.topic, payload: m.payload, ...(m.fault ? { fault: m.fault } : {}) })}\n`;

/** Resolves when the stream takes more, or can never take more (closed, failed): either way, stop waiting. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const event of ["drain", "close", "error"]) out.off(event, done);
      resolve();
    };
    for (const event of ["drain", "close", "error"]) out.on(event, done);
  });
}

/** Lines are written in chunks of about this many characters: one write per line would be one syscall per line. */
const CHUNK = 64 * 1024;

export class StdoutSink implements Sink {
  private pending = "";
  private scheduled = false;

  constructor(
    private readonly out: Writable,
    private readonly stats: Stats,
    /** The reader went away (e.g. `| head`): the run should stop. */
    onGone: () => void,
  ) {
    out.on("error", onGone);
  }

  send(m: Message): undefined | Promise<void> {
    if (this.out.destroyed) return undefined;
    this.stats.countSent(m);
    this.stats.delivered += 1;
    this.pending += ndjsonLine(m);
    if (this.pending.length >= CHUNK) return this.flush();
    // A paced run sends a few lines at a time: they go out once the loop yields, not when a chunk is full.
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    return undefined;
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.out.writableNeedDrain && !this.out.destroyed) await drained(this.out);
  }

  private flush(): undefined | Promise<void> {
    this.scheduled = false;
    if (this.pending === "" || this.out.destroyed) return undefined;
    const ok = this.out.write(this.pending);
    this.pending = "";
    return ok ? undefined : drained(this.out);
  }
}
