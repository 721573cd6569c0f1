// What the processor runtime counts, labelled by processor name.
import { Counter, Gauge, Histogram } from "prom-client";
import { registry } from "../../ground/metrics.ts";

const labelNames = ["processor"] as const;

export const recordsProcessed = new Counter({
  name: "wattline_processor_records_total",
  help: "Input records the processor has processed (dead letters excluded)",
  labelNames,
  registers: [registry],
});
export const deadLettered = new Counter({
  name: "wattline_processor_dead_letters_total",
  help: "Input messages dead-lettered by the runtime (undecodable, unexpected or refused)",
  labelNames,
  registers: [registry],
});
export const checkpoints = new Counter({
  name: "wattline_processor_checkpoints_total",
  help: "Checkpoint transactions committed (state, queued records and input offsets of one partition)",
  labelNames,
  registers: [registry],
});
export const changelogWrites = new Counter({
  name: "wattline_processor_changelog_records_total",
  help: "State records written to the changelog (tombstones included)",
  labelNames,
  registers: [registry],
});
export const checkpointSeconds = new Histogram({
  name: "wattline_processor_checkpoint_seconds",
  help: "Time of one checkpoint: the processor's flush and the Kafka transaction",
  labelNames,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});
export const restoreSeconds = new Histogram({
  name: "wattline_processor_restore_seconds",
  help: "Time to take over one partition: fence its transactional id, read its changelog to the end, fetch offsets",
  labelNames,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});
export const partitionsOwned = new Gauge({
  name: "wattline_processor_partitions",
  help: "Partitions this instance currently works on",
  labelNames,
  registers: [registry],
});
export const partitionsLost = new Counter({
  name: "wattline_processor_fenced_total",
  help: "Partitions whose checkpoint was refused because another instance had taken them over",
  labelNames,
  registers: [registry],
});
