// Batches records into Kafka: one send in flight at a time (ordering holds with the idempotent producer), at most
// `batchMax` records per send, waiting at most `lingerMs` for more. Each record's callback runs, in order, only
// after Kafka acknowledged it: that is when a connector may acknowledge its source.
import type { Producer } from "../../ground/kafka.ts";

interface Pending {
  topic: string;
  key: string | null;
  value: Buffer;
  onAck: (() => void) | undefined;
  addedAt: number;
}

export interface BatchProducerOptions {
  batchMax: number;
  lingerMs: number;
  /** Called once per acknowledged batch: records sent and the oldest record's wait from add to ack. */
  onBatch?: (records: number, oldestWaitMs: number) => void;
  onError: (err: Error) => void;
}

export class BatchProducer {
  #pending: Pending[] = [];
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failed: Error | undefined;

  constructor(
    private readonly producer: Producer,
    private readonly options: BatchProducerOptions,
  ) {}

  get backlog(): number {
    return this.#pending.length;
  }

  add(topic: string, key: string | null, value: Buffer, onAck?: () => void): void {
    if (this.#failed) throw this.#failed;
    this.#pending.push({ topic, key, value, onAck, addedAt: performance.now() });
    if (this.#pending.length >= this.options.batchMax) this.#kick();
    else this.#timer ??= setTimeout(() => this.#kick(), this.options.lingerMs);
  }

  /** Resolves when everything added so far is acknowledged. */
  async flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#inFlight) {
      this.#kick();
      await this.#inFlight;
      if (this.#failed) throw this.#failed;
    }
  }

  #kick(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight || this.#pending.length === 0 || this.#failed) return;
    const batch = this.#pending.splice(0, this.options.batchMax);
    this.#inFlight = this.#send(batch).finally(() => {
      this.#inFlight = undefined;
      if (this.#pending.length >= this.options.batchMax) this.#kick();
      else if (this.#pending.length > 0)
        this.#timer ??= setTimeout(() => this.#kick(), this.options.lingerMs);
    });
  }

  async #send(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, { key: string | null; value: Buffer }[]>();
    for (const r of batch) {
      const messages = byTopic.get(r.topic) ?? [];
      if (messages.length === 0) byTopic.set(r.topic, messages);
      messages.push({ key: r.key, value: r.value });
    }
    try {
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      this.#failed = err as Error;
      this.options.onError(err as Error);
      return;
    }
    this.options.onBatch?.(batch.length, performance.now() - (batch[0]?.addedAt ?? performance.now()));
    for (const r of batch) r.onAck?.();
  }
}
