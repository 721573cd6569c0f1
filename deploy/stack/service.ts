// What the stack needs to know of each service it runs.
import type { Config, StackSecrets } from "../../ground/config.ts";
import type { StackPaths } from "./paths.ts";
import type { StartSpec } from "./processes.ts";

export interface StackContext {
  config: Config;
  paths: StackPaths;
  secrets: StackSecrets;
  log: (message: string) => void;
}

export interface Service {
  name: string;
  /** Set when the environment points this service elsewhere: the local stack then leaves it alone. */
  externalUrl(ctx: StackContext): string | undefined;
  /** Debian packages to install when the binaries are missing. */
  missingPackages(): string[];
  /** Fetch jars, write configuration, initialise data on first start. Idempotent. */
  prepare(ctx: StackContext): Promise<void>;
  command(ctx: StackContext): Omit<StartSpec, "logFile" | "pidFile">;
  healthy(ctx: StackContext): Promise<boolean>;
  /** Work that needs the running service, e.g. creating the database. Idempotent. */
  afterStart?(ctx: StackContext): Promise<void>;
  url(ctx: StackContext): string;
  /** Ports the service listens on, with the variable that sets each: checked free before a start. */
  ports(ctx: StackContext): [number, string][];
  startTimeoutMs: number;
  /** The signal that stops it cleanly and promptly; SIGTERM if unset. */
  stopSignal?: NodeJS.Signals;
}
