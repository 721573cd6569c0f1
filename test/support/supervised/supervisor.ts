// `wattline start`'s supervision of two idle components, as a process of its own that a test can signal: prints
// `pids <json>` once both are up.
import { join } from "node:path";
import { runSupervised, Supervisor } from "../../../deploy/supervisor.ts";

const component = join(import.meta.dirname, "component.ts");
const spec = (name: string) => ({
  name,
  command: process.execPath,
  args: ["--import", "tsx", component, "idle"],
});
const supervisor = new Supervisor([spec("one"), spec("two")], {
  write: (text) => {
    process.stdout.write(text);
    if (text.includes("] up ") && Object.values(supervisor.pids()).length === 2)
      process.stdout.write(`pids ${JSON.stringify(supervisor.pids())}\n`);
  },
});
await runSupervised(supervisor);
