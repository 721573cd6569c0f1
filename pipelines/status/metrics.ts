// What the status processor counts.
import { Counter } from "prom-client";
import { registry } from "../../ground/metrics.ts";

export const recordsApplied = new Counter({
  name: "wattline_status_records_applied_total",
  help: "Input records whose transitions and last-seen times are committed to Postgres",
  registers: [registry],
});
