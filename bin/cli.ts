// The `wattline` command. Each action imports its module lazily so that a command loads only the clients it uses.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { ConfigError } from "../deploy/config.ts";

const program = new Command("wattline")
  .description("Energy telemetry: MQTT and HopeCloud in, Kafka (Avro) through, an exact energy ledger out.")
  .version(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version)
  .showHelpAfterError();

const stack = program.command("stack").description("the local stack: Kafka, QuestDB, Postgres, Mosquitto");
stack
  .command("up")
  .description("install what is missing, start every service, wait until each is healthy")
  .action(async () => (await import("../deploy/stack/commands.ts")).up());
stack
  .command("down")
  .description("stop the services that `stack up` started")
  .action(async () => (await import("../deploy/stack/commands.ts")).down());
stack
  .command("status")
  .description("state and connection URL of each service")
  .option("--json", "machine-readable output")
  .option("--quiet", "print nothing; exit 0 only when every service is up")
  .action(async (opts: { json?: boolean; quiet?: boolean }) =>
    (await import("../deploy/stack/commands.ts")).status(opts),
  );
stack
  .command("logs <service>")
  .description("print a service's log (kafka, questdb, postgres, mosquitto)")
  .option("-n, --lines <n>", "last N lines", "200")
  .action(async (service: string, opts: { lines: string }) =>
    (await import("../deploy/stack/commands.ts")).logs(service, Number(opts.lines)),
  );

program
  .command("start")
  .description("run the whole system on the local stack")
  .action(async () => (await import("../deploy/start.ts")).start());

program
  .command("api")
  .description("serve the HTTP API")
  .action(async () => (await import("../api/serve.ts")).serve());

program
  .command("compute")
  .description("batch: readings (NDJSON) in, hourly and daily energy (NDJSON) out, per ENERGY_SEMANTICS")
  .requiredOption("--input <file>", "readings, one JSON object per line, or - for stdin")
  .option("--devices <file>", "JSON array of device settings")
  .action(async (opts: { input: string; devices?: string }) =>
    (await import("../pipelines/compute/command.ts")).compute(opts),
  );

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // A person reads this: the message, not a stack trace (set WATTLINE_DEBUG=1 for that).
  process.stderr.write(`wattline: ${(err as Error).message}\n`);
  if (process.env.WATTLINE_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
