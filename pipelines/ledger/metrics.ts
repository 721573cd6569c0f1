// What the ledger processor counts.
import { Counter, Histogram } from "prom-client";
import { registry } from "../../ground/metrics.ts";

export const readingsFolded = new Counter({
  name: "wattline_ledger_readings_total",
  help: "Telemetry readings taken in by the ledger processor",
  registers: [registry],
});
export const duplicatesDropped = new Counter({
  name: "wattline_ledger_duplicates_total",
  help: "Readings dropped as duplicates (same device and ts)",
  registers: [registry],
});
export const lateReadings = new Counter({
  name: "wattline_ledger_late_readings_total",
  help: "Readings later than the allowed lateness; each triggers a recalculation of its device",
  registers: [registry],
});
export const recalculations = new Counter({
  name: "wattline_ledger_recalculations_total",
  help: "Automatic recalculations of a device after late readings",
  registers: [registry],
});
export const batchSeconds = new Histogram({
  name: "wattline_ledger_batch_seconds",
  help: "Time to fold, write and commit one Kafka batch",
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});
