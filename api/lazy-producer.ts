// A Kafka producer connected on the first send, so that an API started while Kafka is away still serves
// everything else; a failed connection is tried again on the next send.
import type { Kafka, Producer } from "../ground/kafka.ts";

// A client waits for the answer: a few retries (seconds) rather than the client's default (minutes).
const RETRY = { retries: 3 };

export class LazyProducer {
  #producer: Promise<Producer> | undefined;

  /** `prepare`: what must hold before the first send (e.g. topics created), run on each connection attempt. */
  constructor(
    private readonly kafka: Kafka,
    private readonly options: { idempotent?: boolean; maxInFlightRequests?: number } = {},
    private readonly prepare: () => Promise<void> = async () => {},
  ) {}

  /** Resolves once every in-sync replica has the record. */
  async send(topic: string, key: string, value: Buffer): Promise<void> {
    const producer = await this.#connect();
    await producer.send({ topic, acks: -1, messages: [{ key, value }] });
  }

  async stop(): Promise<void> {
    const producer = await this.#producer?.catch(() => undefined);
    this.#producer = undefined;
    await producer?.disconnect();
  }

  #connect(): Promise<Producer> {
    this.#producer ??= (async () => {
      await this.prepare();
      const producer = this.kafka.producer({ ...this.options, retry: RETRY });
      await producer.connect();
      return producer;
    })().catch((err) => {
      this.#producer = undefined;
      throw err;
    });
    return this.#producer;
  }
}
