// A small stateful processor for the runtime's tests: counts Heartbeats per device. The heartbeat's `firmware`
// field is a command: "hold" buffers the record in memory (not in the store) until release(), "delete" deletes
// the device's count, "boom" throws, "send" queues an output record with ctx.send. Each count remembers the offset
// it last took in, so records delivered again after a restart are not counted twice.
import type {
  InputRecord,
  PartitionContext,
  Processor,
  Punctuator,
  StateCodec,
} from "../../pipelines/runtime/processor.ts";
import type { Heartbeat } from "../../schemas/generated/types.ts";

export interface Count {
  count: number;
  /** Offset of the last record counted. */
  offset: string;
  /** Which instance wrote it. */
  by: string;
}

export const countCodec: StateCodec<Count> = {
  encode: (v) => Buffer.from(JSON.stringify(v)),
  decode: (b) => JSON.parse(b.toString()) as Count,
};

export interface CountingOptions {
  name: string;
  topic: string;
  instance?: string;
  /** Topic that "send" records go to. */
  output?: string;
  /** Called before each record is counted, under the partition's lock (may block). */
  beforeCount?: (record: InputRecord<"Heartbeat">) => Promise<void> | void;
  punctuators?: Punctuator<Count>[];
}

export interface CountingProcessor extends Processor<"Heartbeat", Count> {
  /** Every offset process() was handed, per partition, in order. */
  seen: Map<number, bigint[]>;
  /** Each partition's store as init found it (restored). */
  restored: Map<number, Map<string, Count>>;
  /** Writes flush() returned that ran, per partition (the runtime runs one inside each checkpoint). */
  flushes: Map<number, number>;
  /** Counts the held records of a partition, under its lock (ctx.exclusive). */
  release(partition: number): Promise<boolean>;
}

export function heartbeat(device: string, firmware: string | null = null, at = 0): Heartbeat {
  return {
    device_id: device,
    ts: at,
    uptime_s: null,
    rssi_dbm: null,
    firmware,
    boot_id: null,
    source: "test",
    received_at: at,
  };
}

export function countingProcessor(options: CountingOptions): CountingProcessor {
  const by = options.instance ?? "a";
  const contexts = new Map<number, PartitionContext<Count>>();
  const holding = new Map<number, InputRecord<"Heartbeat">[]>();
  const seen = new Map<number, bigint[]>();
  const restored = new Map<number, Map<string, Count>>();
  const flushes = new Map<number, number>();

  const count = (ctx: PartitionContext<Count>, r: InputRecord<"Heartbeat">) => {
    const device = r.record.device_id;
    const current = ctx.store.get(device);
    if (current && BigInt(current.offset) >= r.offset) return; // counted before a restart
    ctx.store.put(device, { count: (current?.count ?? 0) + 1, offset: String(r.offset), by });
  };

  return {
    name: options.name,
    topics: { [options.topic]: "Heartbeat" },
    state: countCodec,
    seen,
    restored,
    flushes,
    ...(options.punctuators ? { punctuators: options.punctuators } : {}),
    init(ctx) {
      contexts.set(ctx.partition, ctx);
      holding.set(ctx.partition, []);
      restored.set(ctx.partition, new Map(ctx.store.entries()));
    },
    flush(ctx) {
      return async () => {
        flushes.set(ctx.partition, (flushes.get(ctx.partition) ?? 0) + 1);
      };
    },
    close(ctx) {
      contexts.delete(ctx.partition);
      holding.delete(ctx.partition);
    },
    async process(ctx, records) {
      const offsets = seen.get(ctx.partition) ?? [];
      seen.set(ctx.partition, offsets);
      for (const r of records) {
        offsets.push(r.offset);
        await options.beforeCount?.(r);
        switch (r.record.firmware) {
          case "hold":
            holding.get(ctx.partition)?.push(r);
            break;
          case "delete":
            ctx.store.delete(r.record.device_id);
            break;
          case "boom":
            throw new Error(`boom at offset ${r.offset}`);
          case "send":
            count(ctx, r);
            ctx.send(options.output ?? "out", r.record.device_id, Buffer.from(`sent ${r.offset}`));
            break;
          default:
            count(ctx, r);
        }
      }
    },
    held(ctx) {
      const held = holding.get(ctx.partition) ?? [];
      return held.length === 0
        ? undefined
        : held.reduce((min, r) => (r.offset < min ? r.offset : min), held[0]?.offset ?? 0n);
    },
    release(partition) {
      const ctx = contexts.get(partition);
      if (!ctx) return Promise.resolve(false);
      return ctx.exclusive(() => {
        for (const r of holding.get(partition) ?? []) count(ctx, r);
        holding.set(partition, []);
      });
    },
  };
}
