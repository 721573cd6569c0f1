// `wattline start` (npm start): the local stack, then the system's processes in this one process.
import { loadConfig } from "./config.ts";
import { up } from "./stack/commands.ts";

export async function start(): Promise<void> {
  await up();
  if (process.exitCode) return;
  await (await import("../schemas/postgres/migrate.ts")).migrate(loadConfig());
  await (await import("../api/serve.ts")).serve();
}
