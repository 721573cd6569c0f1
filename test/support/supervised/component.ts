// A stand-in component for the supervisor tests, with the real shutdown handling (ground/lifecycle.ts):
// `idle` stays up, `ready` stays up and says it is ready (printing what it hears of the others), `crash` exits 1 at
// once, `crash-once <marker>` exits 1 the first time only.
import { existsSync, writeFileSync } from "node:fs";
import { installShutdown } from "../../../ground/lifecycle.ts";
import { createLogger } from "../../../ground/logger.ts";
import { announceReady } from "../../../ground/supervision.ts";

const [mode = "idle", marker = ""] = process.argv.slice(2);
installShutdown(createLogger("component", "warn"));
process.stdout.write(`up ${process.pid}\n`);
if (mode === "crash" || (mode === "crash-once" && !existsSync(marker))) {
  if (marker) writeFileSync(marker, "");
  process.stdout.write("boom: something went wrong\n");
  process.exit(1);
}
if (mode === "ready") {
  process.on("message", (m) => process.stdout.write(`heard ${JSON.stringify(m)}\n`));
  setTimeout(announceReady, 200);
}
setInterval(() => {}, 60_000);
