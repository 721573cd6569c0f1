// `wattline db migrate`.
import { loadConfig } from "../../ground/config.ts";
import { createLogger } from "../../ground/logger.ts";
import { migrate } from "./migrate.ts";

export async function dbMigrate(): Promise<void> {
  // The command says what it applied on stdout; the logger only adds warnings.
  const applied = await migrate(loadConfig(), createLogger("migrate", "warn"));
  process.stdout.write(
    applied.length > 0
      ? `applied ${applied.length} migration(s): ${applied.join(", ")}\n`
      : "schema up to date\n",
  );
}
