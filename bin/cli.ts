// The `wattline` command. Each action imports its module lazily so that a command loads only the clients it uses.
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { ConfigError } from "../ground/config.ts";
import type { ReplayCommandOptions } from "../pipelines/ledger/replay-command.ts";

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

const connect = program.command("connect").description("connectors: outside sources into Kafka");
connect
  .command("mqtt")
  .description("MQTT (QoS 1, persistent session) to Kafka, per the routing table")
  .action(async () => (await import("../connectors/commands.ts")).connectMqtt());
connect
  .command("file <path>")
  .description("an NDJSON backfill (readings or {topic, payload} captures; - for stdin) to Kafka")
  .action(async (path: string) => (await import("../connectors/commands.ts")).connectFile(path));

program
  .command("tail <topic>")
  .description("print a topic's records, decoded, as NDJSON")
  .option("--from-beginning", "start at the oldest record")
  .option("--count <n>", "stop after N records")
  .action(async (topic: string, opts: { fromBeginning?: boolean; count?: string }) =>
    (await import("../pipelines/runtime/tail.ts")).tail(topic, opts),
  );

const db = program.command("db").description("the registry database (Postgres)");
db.command("migrate")
  .description("apply pending migrations (idempotent; waits while another process migrates)")
  .action(async () => (await import("../schemas/postgres/command.ts")).dbMigrate());

program
  .command("import <file>")
  .description("import sites, systems, equipment and devices from a YAML file (see docs/registry.md)")
  .option("--dry-run", "report what would be created and changed; write nothing")
  .option("--json", "machine-readable report")
  .action(async (file: string, opts: { dryRun?: boolean; json?: boolean }) =>
    (await import("../pipelines/registry/import-command.ts")).importCommand(file, opts),
  );

const charging = program.command("charging").description("EV charging stations and points");
charging
  .command("reconcile")
  .description("create the charging points missing according to the stations' connector counts")
  .option("--device <id>", "only this station (with or without dashes)")
  .option("--dry-run", "report what would be created; write nothing")
  .option("--json", "machine-readable report")
  .action(async (opts: { device?: string; dryRun?: boolean; json?: boolean }) =>
    (await import("../pipelines/registry/charging-command.ts")).chargingReconcile(opts),
  );

const processors = program.command("process").description("stream processors: Kafka consumer groups");
processors
  .command("status")
  .description("devices online/offline and silence; transitions to QuestDB and device.transitions.v1")
  .action(async () => (await import("../pipelines/processors.ts")).runProcessor("status"));
processors
  .command("ledger")
  .description("the energy ledger: telemetry to ledger entries, hourly and daily energy and cost in QuestDB")
  .action(async () => (await import("../pipelines/ledger/command.ts")).runLedger());
processors
  .command("charging")
  .description("keep stations' highest connector counts and create the charging points they are missing")
  .action(async () => (await import("../pipelines/processors.ts")).runProcessor("charging"));

const apikey = program.command("apikey").description("API credentials (see docs/api.md)");
apikey
  .command("create")
  .description("create an API key and print it once (stdout: the key only)")
  .requiredOption("--name <name>", "who or what uses the key")
  .addOption(
    new Option("--role <role>", "viewer, operator or admin")
      .choices(["viewer", "operator", "admin"])
      .makeOptionMandatory(),
  )
  .option(
    "--site <id>",
    "limit the key to this site (repeatable); without it the key sees every site",
    (id: string, ids: string[] = []) => [...ids, id],
  )
  .action(async (opts: { name: string; role: "viewer" | "operator" | "admin"; site?: string[] }) =>
    (await import("../api/auth/command.ts")).apikeyCreate(opts),
  );
apikey
  .command("list")
  .description("list API keys (never their secrets)")
  .option("--active", "only keys not revoked")
  .option("--json", "machine-readable output")
  .action(async (opts: { active?: boolean; json?: boolean }) =>
    (await import("../api/auth/command.ts")).apikeyList(opts),
  );
apikey
  .command("revoke <id>")
  .description("revoke an API key at once")
  .action(async (id: string) => (await import("../api/auth/command.ts")).apikeyRevoke(id));

connect
  .command("hopecloud")
  .description("poll HopeCloud: module snapshots and inverter energy to Kafka (see docs/hopecloud.md)")
  .option("--once", "poll once, print the summary and exit")
  .option("--site-ids <ids>", "only these sites' plants, comma-separated (default: every plant of the cloud)")
  .action(async (opts: { once?: boolean; siteIds?: string }) =>
    (await import("../connectors/hopecloud/commands.ts")).connectHopecloud(opts),
  );

const hopecloud = program.command("hopecloud").description("HopeCloud: simulator, module sync");
hopecloud
  .command("simulate")
  .description("a simulated HopeCloud API (auth, plants, equipment, modules, realtime, faults)")
  .option("--port <port>", "listen port (default: WATTLINE_HOPECLOUD_SIMULATOR_PORT)")
  .option("--seed <k>", "seed of the plants, modules and inverters", "1")
  .option("--plants <n>", "plants", "3")
  .option("--modules <n>", "communication modules per plant", "1")
  .option("--inverters <n>", "inverters per plant", "2")
  .option("--fail-plants <ids>", "plants whose modules endpoint answers 500, comma-separated")
  .option("--rate-limit <n>", "requests per second before answering 429 with Retry-After")
  .action(async (opts) =>
    (await import("../connectors/hopecloud/simulator/command.ts")).hopecloudSimulate(opts),
  );
hopecloud
  .command("sync")
  .description("fetch communication modules and upsert them into Postgres now; prints the report")
  .option("--site-ids <ids>", "only these sites, comma-separated")
  .action(async (opts: { siteIds?: string }) =>
    (await import("../connectors/hopecloud/commands.ts")).hopecloudSync(opts),
  );
hopecloud
  .command("process")
  .description("consume hopecloud.modules.v1 into Postgres (a consumer group; run several to scale out)")
  .action(async () => (await import("../connectors/hopecloud/commands.ts")).hopecloudProcess());

program
  .command("replay")
  .description(
    "rebuild the ledger of a time range from the telemetry topic and rewrite its rows (see docs/operations.md)",
  )
  .requiredOption("--from <ts>", "start of the range, ISO-8601 with Z or an offset (inclusive)")
  .requiredOption("--to <ts>", "end of the range, ISO-8601 with Z or an offset (exclusive)")
  .option("--device <id...>", "only these devices (default: every device on the topic)")
  .option("--dry-run", "compute and report what would change; write nothing")
  .option(
    "--with-readings",
    "rewrite the readings rows too (to bring back lost ones; the ledger never needs it)",
  )
  .option("--workers <n>", "worker threads, each replaying a share of the partitions (default: one per core)")
  .action(async (opts: ReplayCommandOptions) =>
    (await import("../pipelines/ledger/replay-command.ts")).replayCommand(opts),
  );

const cost = program
  .command("cost")
  .description("cost versions (tariffs); adding one re-prices stored energy");
cost
  .command("add")
  .description("add an immutable cost version and re-price the hours and days it now prices")
  .requiredOption("--rate <per-kWh>", "cost per kWh")
  .requiredOption("--currency <code>", "ISO 4217 code, e.g. EUR")
  .requiredOption("--from <ts>", "effective from, ISO-8601 with Z or an offset")
  .option("--site <id>", "only this site's devices")
  .option("--device <id>", "only this device")
  .option("--note <text>", "why (kept with the version)")
  .action(async (opts) => (await import("../pipelines/cost/command.ts")).costAdd(opts));
cost
  .command("list")
  .description("cost versions, oldest first; with --site or --device those that can price it")
  .option("--site <id>", "global and this site's versions")
  .option("--device <id>", "global, the device's site's and the device's versions")
  .action(async (opts: { site?: string; device?: string }) =>
    (await import("../pipelines/cost/command.ts")).costList(opts),
  );

program
  .command("reconcile")
  .description("check a local day: daily = Σ hourly = ledger; mismatches, silences, gaps, jumps to tickets")
  .option("--date <YYYY-MM-DD>", "the local date to check (default: each device's previous local day)")
  .option("--devices <ids>", "only these devices, comma-separated")
  .action(async (opts: { date?: string; devices?: string }) =>
    (await import("../pipelines/jobs/commands.ts")).reconcileCommand(opts),
  );
program
  .command("jobs")
  .description("run the scheduled jobs (the nightly reconciliation) until SIGINT/SIGTERM")
  .action(async () => (await import("../pipelines/jobs/commands.ts")).jobsCommand());

program
  .command("compute")
  .description(
    "batch: readings and meter replacements (NDJSON) in, hourly and daily energy (NDJSON) out, per ENERGY_SEMANTICS",
  )
  .requiredOption(
    "--input <file>",
    'readings and events ("kind": "meter_replacement"), one JSON object per line, or - for stdin',
  )
  .option("--devices <file>", "JSON array of device settings")
  .action(async (opts: { input: string; devices?: string }) =>
    (await import("../pipelines/compute/command.ts")).compute(opts),
  );

program
  .command("simulate")
  .description("a simulated device fleet publishing over MQTT (see docs/simulator.md)")
  .requiredOption("--devices <n>", "number of devices")
  .option("--interval <s>", "seconds of simulated time between a device's readings", "60")
  .option("--heartbeat <s>", "seconds of simulated time between a device's heartbeats", "300")
  .option("--faults", "inject resets, reboots, dips, glitches, gaps, duplicates, out-of-order delivery")
  .option("--fault-rates <list>", "probability per reading, e.g. reset=0.001,gap=0.0005 (implies --faults)")
  .option("--seed <k>", "seed (0–4294967295) for the same fleet and data; random (and logged) if not given")
  .option("--start <iso>", "simulated start time, ISO-8601 with Z or offset (default: now)")
  .option("--duration <s>", "stop after this many wall-clock seconds (default: at SIGINT/SIGTERM)")
  .option("--sim-duration <s>", "stop after this many simulated seconds")
  .option("--speed <x>", "simulated seconds per wall second, or max for as fast as the output goes", "1")
  .option("--site-timezones <list>", "IANA zones of the sites, comma-separated", "Europe/Berlin,Asia/Kolkata")
  .option("--connections <n>", "MQTT connections; one per device gives every device a last will", "1")
  .option("--prefix <p>", "device id prefix (<prefix>-inv-0001)", "sim")
  .option("--manifest <file>", "write the fleet's device settings (JSON) for `wattline compute --devices`")
  .option("--stdout, --dry-run", "print NDJSON {topic, payload} lines instead of publishing (no broker)")
  .action(async (opts) => (await import("../connectors/simulator/command.ts")).simulate(opts));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // A person reads this: the message, not a stack trace (set WATTLINE_DEBUG=1 for that).
  process.stderr.write(`wattline: ${(err as Error).message}\n`);
  if (process.env.WATTLINE_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
