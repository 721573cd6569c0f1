// The status processor's two entry points: batches from the consumer and the periodic silence sweep. They run one
// at a time (they share the QuestDB sender); the sweep judges silence no later than the consumer has read.
import type { Logger } from "../../deploy/logger.ts";
import type { Consumed } from "../runtime/consumed.ts";
import type { BatchInfo } from "../runtime/consumer.ts";
import { serial } from "../runtime/serial.ts";
import { applyEvents, type StatusSinks, sweepSilent } from "./apply.ts";
import { type StatusInput, toDeviceEvent } from "./events.ts";
import type { DeviceTransition } from "./transitions.ts";
import { Watermark } from "./watermark.ts";

export type StatusRecord = Consumed<StatusInput["name"]>;

/** Devices judged per sweep transaction; a sweep continues until fewer are found. */
const SWEEP_CHUNK = 500;

export interface StatusProcessor {
  process(records: StatusRecord[], batch: BatchInfo): Promise<void>;
  sweep(): Promise<void>;
  /** The consumer's partitions were reassigned. */
  rebalanced(): void;
}

export function statusProcessor(sinks: StatusSinks, logger: Logger): StatusProcessor {
  const exclusive = serial();
  const watermark = new Watermark();
  const log = (transitions: DeviceTransition[]) => {
    for (const t of transitions)
      logger.debug(
        { device_id: t.deviceId, from: t.from, to: t.to, reason: t.reason, ts: t.ts },
        "transition",
      );
  };
  return {
    async process(records, batch) {
      const events = records.map(toDeviceEvent);
      log(await exclusive(() => applyEvents(sinks, events)));
      // A batch that was all dead letters says nothing about time; it only counts once it reached the end.
      if (events.length > 0 || batch.caughtUp)
        watermark.advance(
          batch.topic,
          batch.partition,
          batch.caughtUp,
          events.reduce((newest, e) => Math.max(newest, e.at), 0),
        );
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
    rebalanced: () => watermark.reset(),
  };
}
