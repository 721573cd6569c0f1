// Runs components as child processes and keeps the whole set running, or none of it: a component that exits is
// started again after a backoff that doubles with each recent failure; one that fails `maxFailures` times within
// `windowMs` (or prints a line `fatal` recognises, such as a port in use) ends the supervision: every other component
// is stopped and `done` resolves with the reason, naming the component and quoting its last log lines.
// Children get an IPC channel, which closes when this process ends however it ends (SIGKILL included); they stop on
// that (ground/lifecycle.ts), so none outlives its supervisor. Over the same channel (ground/supervision.ts) a
// component says it is ready, and every component hears whether all are: the API's /health says healthy only then.
// A component that never says so counts as ready once it has run `settleMs` without exiting.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { componentsMessage, isReadyMessage, SUPERVISED_ENV } from "../ground/supervision.ts";

export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  /** First restart delay; doubled per recent failure up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  maxFailures: number;
  windowMs: number;
  /** How long a component that does not announce its readiness must run to count as ready. */
  settleMs: number;
  /** Log lines kept per component, quoted when it is given up on. */
  keepLines: number;
  /** A line that means restarting cannot help (e.g. EADDRINUSE): the one-line explanation to give. */
  fatal?: (line: string) => string | undefined;
  write: (text: string) => void;
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
  backoffMs: 500,
  maxBackoffMs: 15_000,
  maxFailures: 5,
  windowMs: 60_000,
  settleMs: 10_000,
  keepLines: 20,
  write: (text) => process.stdout.write(text),
};

export interface Outcome {
  /** Undefined when stopped on request. */
  failed?: { component: string; reason: string; lastLines: string[] };
}

interface Running {
  spec: ComponentSpec;
  child: ChildProcess | undefined;
  lines: string[];
  failures: number[];
  timer: NodeJS.Timeout | undefined;
  settled: NodeJS.Timeout | undefined;
  ready: boolean;
  restarts: number;
}

export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #running = new Map<string, Running>();
  #stopping = false;
  #finish: (outcome: Outcome) => void = () => {};
  /** Resolves once every child has exited: on `stop()`, or after a component was given up on. */
  readonly done: Promise<Outcome>;

  constructor(specs: ComponentSpec[], options: Partial<SupervisorOptions> = {}) {
    this.#options = { ...DEFAULT_SUPERVISOR_OPTIONS, ...options };
    let finish: (outcome: Outcome) => void = () => {};
    this.done = new Promise((resolve) => {
      finish = resolve;
    });
    this.#finish = finish;
    for (const spec of specs) {
      const r: Running = {
        spec,
        child: undefined,
        lines: [],
        failures: [],
        timer: undefined,
        settled: undefined,
        ready: false,
        restarts: 0,
      };
      this.#running.set(spec.name, r);
      this.#launch(r);
    }
  }

  /** The pid of each running component. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.#running].map(([name, r]) => [name, r.child?.pid]));
  }

  restarts(name: string): number {
    return this.#running.get(name)?.restarts ?? 0;
  }

  /** The components not ready now. */
  waiting(): string[] {
    return [...this.#running.values()].filter((r) => !r.ready).map((r) => r.spec.name);
  }

  /** Stops every component (SIGTERM; they stop cleanly) and resolves when all have exited. */
  async stop(failed?: Outcome["failed"]): Promise<Outcome> {
    if (!this.#stopping) {
      this.#stopping = true;
      const exits = [...this.#running.values()].map((r) => {
        clearTimeout(r.timer);
        clearTimeout(r.settled);
        const child = r.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        return exited;
      });
      void Promise.all(exits).then(() => this.#finish(failed ? { failed } : {}));
    }
    return this.done;
  }

  #launch(r: Running): void {
    const { name, command, args, env } = r.spec;
    const child = spawn(command, args, {
      env: { ...(env ?? process.env), [SUPERVISED_ENV]: "1" },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    r.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.#options.write(`[${name}] ${line}\n`);
        r.lines.push(line);
        if (r.lines.length > this.#options.keepLines) r.lines.shift();
        const fatal = this.#options.fatal?.(line);
        if (fatal && !this.#stopping)
          void this.stop({ component: name, reason: fatal, lastLines: [...r.lines] });
      });
    }
    child.on("error", (err) => r.lines.push(`could not start: ${err.message}`));
    child.on("message", (m) => {
      if (isReadyMessage(m)) this.#setReady(r, true);
    });
    r.settled = setTimeout(() => this.#setReady(r, true), this.#options.settleMs);
    child.on("exit", (code, signal) => {
      clearTimeout(r.settled);
      this.#setReady(r, false);
      this.#options.write(`[${name}] exited (${signal ?? code})\n`);
      if (!this.#stopping) this.#failed(r, signal ?? `code ${code}`);
    });
    // A new child hears the current state at once; the others hear only changes.
    this.#tell(child);
  }

  #setReady(r: Running, ready: boolean): void {
    if (r.ready === ready) return;
    r.ready = ready;
    for (const other of this.#running.values()) if (other.child) this.#tell(other.child);
  }

  #tell(child: ChildProcess): void {
    if (!child.connected) return;
    const waiting = this.waiting();
    // With a callback, a child that is exiting and cannot hear it is not an 'error' event.
    child.send(componentsMessage({ ready: waiting.length === 0, waiting }), () => {});
  }

  #failed(r: Running, how: string): void {
    const { maxFailures, windowMs, backoffMs, maxBackoffMs } = this.#options;
    const now = Date.now();
    r.failures = [...r.failures.filter((t) => now - t < windowMs), now];
    if (r.failures.length >= maxFailures) {
      const reason = `${r.spec.name} exited ${r.failures.length} times in ${Math.round(windowMs / 1000)} s (last: ${how})`;
      void this.stop({ component: r.spec.name, reason, lastLines: [...r.lines] });
      return;
    }
    const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (r.failures.length - 1));
    this.#options.write(`[supervisor] ${r.spec.name} exited (${how}); starting it again in ${delay} ms\n`);
    r.timer = setTimeout(() => {
      r.restarts++;
      this.#launch(r);
    }, delay);
  }
}

/**
 * Runs `supervisor` as this process's work: SIGINT or SIGTERM stops it; the process exits 0 once every component has
 * stopped, or 1 after a component was given up on, its reason and last log lines printed.
 */
export async function runSupervised(
  supervisor: Supervisor,
  write = DEFAULT_SUPERVISOR_OPTIONS.write,
): Promise<never> {
  const stop = () => void supervisor.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const { failed } = await supervisor.done;
  if (failed) {
    write(`[supervisor] stopped everything: ${failed.reason}. Last log lines of ${failed.component}:\n`);
    for (const line of failed.lastLines) write(`    ${line}\n`);
  }
  process.exit(failed ? 1 : 0);
}
