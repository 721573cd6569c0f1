// A service process a test starts for itself (a broker on ports of its own), which ends with the test however the
// test ends: killed in `stop()`, and watched by a shell that kills it as soon as the test's process is gone (even
// after SIGKILL, when no exit handler runs).
import { type ChildProcess, spawn } from "node:child_process";

export interface Owned {
  pid: number;
  stop(): Promise<void>;
}

const WATCHDOG = `"$@" & child=$!
trap 'kill $child 2>/dev/null; exit' TERM INT
while kill -0 ${process.pid} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done
kill $child 2>/dev/null; wait $child`;

export function spawnOwned(command: string, args: string[], log: (line: string) => void = () => {}): Owned {
  const shell: ChildProcess = spawn("sh", ["-c", WATCHDOG, "owned", command, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const s of [shell.stdout, shell.stderr]) s?.on("data", (d: Buffer) => log(d.toString()));
  const exited = new Promise<void>((resolve) => shell.once("exit", () => resolve()));
  return {
    pid: shell.pid as number,
    async stop() {
      if (shell.exitCode === null && shell.signalCode === null) shell.kill("SIGTERM");
      await exited;
    },
  };
}
