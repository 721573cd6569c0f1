// The status processor on the processor runtime, and its silence sweep. Stateless for the runtime: a device's
// state lives in Postgres (device_status), read and written under per-device locks, so any instance may judge any
// device. Batches and the sweep run one at a time (they share the QuestDB sender); the sweep judges silence no
// later than the consumer has read. Batches of every partition that arrive while a unit of work runs are applied
// together in the next one (a group commit): the processor waits on Postgres round trips, not on its CPU, so one
// transaction per batch made its lag grow with the number of partitions and devices. Groups start at most once per
// WATTLINE_STATUS_GROUP_MS: a device reporting many times a second has its row written once per group, not once
// per batch (bench/e2e, 1,000 devices at 8,000 readings/s: status 0.11 → 0.09 cores, Postgres 0.07 → 0.03).
//
// The sweep is one process-wide periodic task, not a per-partition punctuator: it asks Postgres for every online
// device silent too long, whichever partition its records would come from (the table does not know), so one query
// per interval serves all partitions, and devices of a partition no instance currently owns are still judged.
import type { Logger } from "../../ground/logger.ts";
import { TOPICS } from "../../ground/topics.ts";
import { groupCommit } from "../runtime/group-commit.ts";
import type { InputRecord, Processor } from "../runtime/processor.ts";
import { serial } from "../runtime/serial.ts";
import { applyEvents, type StatusSinks, sweepSilent } from "./apply.ts";
import { type DeviceEvent, type StatusInput, toDeviceEvent } from "./events.ts";
import type { DeviceTransition } from "./transitions.ts";
import { Watermark } from "./watermark.ts";

export type StatusRecord = InputRecord<StatusInput["name"]>;

/** Devices judged per sweep transaction; a sweep continues until fewer are found. */
const SWEEP_CHUNK = 500;

export interface StatusProcessor {
  processor: Processor<StatusInput["name"]>;
  sweep(): Promise<void>;
}

export function statusProcessor(
  sinks: StatusSinks,
  logger: Logger,
  { groupMs }: { groupMs: number },
): StatusProcessor {
  const exclusive = serial();
  const watermark = new Watermark();
  /** Resolves once `events` are applied, with the batches queued beside them. */
  const apply = groupCommit<DeviceEvent>(async (group) => log(await applyEvents(sinks, group)), {
    windowMs: groupMs,
    exclusive,
  });
  const log = (transitions: DeviceTransition[]) => {
    for (const t of transitions)
      logger.debug(
        { device_id: t.deviceId, from: t.from, to: t.to, reason: t.reason, ts: t.ts },
        "transition",
      );
  };
  return {
    processor: {
      name: "status",
      topics: {
        [TOPICS.status]: "DeviceStatus",
        [TOPICS.heartbeat]: "Heartbeat",
        [TOPICS.telemetry]: ["TelemetryReading", "MeterReplacement"],
      },
      refuse: (r) => (r.record.device_id === "" ? "device_id is empty" : undefined),
      async process(_ctx, records, batch) {
        const events = records.flatMap((r) => (r.name === "MeterReplacement" ? [] : [toDeviceEvent(r)]));
        if (events.length > 0) await apply(events);
        // A batch that was all dead letters says nothing about time; it only counts once it reached the end.
        if (events.length > 0 || batch.caughtUp)
          watermark.advance(
            batch.topic,
            batch.partition,
            batch.caughtUp,
            events.reduce((newest, e) => Math.max(newest, e.at), 0),
          );
      },
      // Partitions moved: what the watermark knew of the others may be stale.
      init: () => watermark.reset(),
      close: () => watermark.reset(),
    },
    sweep: () =>
      exclusive(async () => {
        const at = watermark.at(Date.now());
        for (;;) {
          const transitions = await sweepSilent(sinks, at, SWEEP_CHUNK);
          log(transitions);
          if (transitions.length < SWEEP_CHUNK) return;
        }
      }),
  };
}
