// The status processor on the processor runtime, and its silence sweep. Stateless for the runtime: a device's
// state lives in Postgres (device_status), read and written under per-device locks, so any instance may judge any
// device. Batches and the sweep run one at a time (they share the QuestDB sender); the sweep judges silence no
// later than the consumer has read. Batches of every partition that arrive while a unit of work runs are applied
// together in the next one (a group commit): the processor waits on Postgres round trips, not on its CPU, so one
// transaction per batch made its lag grow with the number of partitions and devices. Groups start at most once per
// WATTLINE_STATUS_GROUP_MS: a device reporting many times a second has its row written once per group, not once
// per batch (bench/e2e, 1,000 devices at 8,000 readings/s: status 0.11 → 0.09 cores, Postgres 0.07 → 0.03).
// A batch does not wait for its group: the consumer fetches on while groups are applied, and the partition's
// checkpoint waits for every group its batches joined before it commits their offsets, so a restart still reads
// again whatever was not applied. Waiting in the batch held the next fetch of every partition behind the group
// (bench/e2e, 10,000 devices: status 0.9–1.6 s behind while the ledger was 0.1–0.6 s).
//
// The sweep is one process-wide periodic task, not a per-partition punctuator: it asks Postgres for every online
// device silent too long, whichever partition its records would come from (the table does not know), so one query
// per interval serves all partitions, and devices of a partition no instance currently owns are still judged.
import type { Logger } from "../../ground/logger.ts";
import { TOPICS } from "../../ground/topics.ts";
import { groupCommit } from "../runtime/group-commit.ts";
import type { InputRecord, PartitionContext, Processor } from "../runtime/processor.ts";
import { serial } from "../runtime/serial.ts";
import { applyEvents, type StatusSinks, sweepSilent } from "./apply.ts";
import { type DeviceEvent, type StatusInput, toDeviceEvent } from "./events.ts";
import { recordsApplied } from "./metrics.ts";
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
  /** Per partition, the groups its batches joined since its last checkpoint. */
  const applying = new Map<number, Promise<void>[]>();
  const settle = (ctx: PartitionContext<unknown>) => {
    const pending = applying.get(ctx.partition) ?? [];
    applying.delete(ctx.partition);
    return pending.length === 0 ? undefined : async () => void (await Promise.all(pending));
  };
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
      process(ctx, records, batch) {
        const events = records.flatMap((r) => (r.name === "MeterReplacement" ? [] : [toDeviceEvent(r)]));
        const newest = events.reduce((at, e) => Math.max(at, e.at), 0);
        // A batch that was all dead letters says nothing about time; it only counts once it reached the end.
        const advance = () => {
          if (events.length > 0 || batch.caughtUp)
            watermark.advance(batch.topic, batch.partition, batch.caughtUp, newest);
        };
        if (events.length === 0) {
          advance();
          recordsApplied.inc(records.length);
          return;
        }
        const applied = apply(events).then(() => {
          advance();
          recordsApplied.inc(records.length);
        });
        // Its failure fails the partition's next checkpoint (`flush`); it must not count as unhandled meanwhile.
        applied.catch(() => {});
        const pending = applying.get(ctx.partition);
        if (pending) pending.push(applied);
        else applying.set(ctx.partition, [applied]);
      },
      flush: (ctx) => settle(ctx),
      // Partitions moved: what the watermark knew of the others may be stale.
      init: () => watermark.reset(),
      close: (ctx) => {
        applying.delete(ctx.partition);
        watermark.reset();
      },
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
