// Where the local stack keeps everything: one folder, a subfolder per service, logs and pid files beside them.
import { join } from "node:path";

export interface StackPaths {
  root: string;
  logs: string;
  run: string;
  service(name: string): string;
  log(name: string): string;
  pid(name: string): string;
}

export function stackPaths(stateDir: string): StackPaths {
  return {
    root: stateDir,
    logs: join(stateDir, "logs"),
    run: join(stateDir, "run"),
    service: (name) => join(stateDir, name),
    log: (name) => join(stateDir, "logs", `${name}.log`),
    pid: (name) => join(stateDir, "run", `${name}.pid`),
  };
}
