// The benchmark's child processes: Wattline's own components through its CLI (as `npm start` runs them) and the
// baseline's, each with the run's environment, their warnings and errors echoed with the component's name.
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { COMPONENT_NODE_FLAGS } from "../../deploy/node-flags.ts";

const root = join(import.meta.dirname, "..", "..");

export function launch(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = fork(join(root, script), args, {
    env: { ...process.env, ...env },
    // BENCH_NODE_ARGS: more flags for the components' Node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    execArgv: [
      "--import",
      "tsx",
      ...COMPONENT_NODE_FLAGS,
      ...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
    ],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  for (const stream of [child.stdout, child.stderr])
    if (stream) createInterface({ input: stream }).on("line", (line) => console.error(`[${name}] ${line}`));
  child.on("exit", (code, signal) => {
    if (code !== 0 && signal !== "SIGTERM") console.error(`[${name}] exited (${signal ?? code})`);
  });
  return child;
}

export const wattline = (name: string, args: string[], env: NodeJS.ProcessEnv) =>
  launch(name, "bin/cli.ts", args, env);

export async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((c) =>
      c.exitCode !== null || c.signalCode !== null
        ? undefined
        : new Promise((resolve) => {
            c.once("exit", resolve);
            c.kill("SIGTERM");
          }),
    ),
  );
}
