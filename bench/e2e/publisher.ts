// A paced QoS 1 publisher over several MQTT connections: it keeps to a target rate (messages are due by the clock,
// not one after the other) and counts what the broker acknowledged. A rate it cannot reach shows as `sent` behind
// `due`, so a trial can tell a slow publisher from a slow system.
import mqtt, { type MqttClient } from "mqtt";

/** Unacknowledged messages allowed per connection before the publisher waits. */
const MAX_IN_FLIGHT = 2000;
const TICK_MS = 5;

export interface Credentials {
  username: string;
  password: string;
}

export class Publisher {
  /** Acknowledged by the broker, since the publisher opened. */
  acked = 0;
  failed = 0;
  #inFlight = 0;
  #turn = 0;

  private constructor(private readonly clients: MqttClient[]) {}

  static async open(url: string, credentials: Credentials, connections = 4): Promise<Publisher> {
    const clients = await Promise.all(
      Array.from({ length: connections }, () => mqtt.connectAsync(url, { ...credentials, clean: true })),
    );
    return new Publisher(clients);
  }

  /** Publishes `next()` at `rate` per second for `seconds`; resolves with how many were sent. */
  async run(rate: number, seconds: number, next: (now: number) => { topic: string; payload: string }) {
    const start = performance.now();
    const end = start + seconds * 1000;
    let sent = 0;
    for (;;) {
      const now = performance.now();
      if (now >= end) break;
      const due = Math.floor(((now - start) / 1000) * rate);
      const room = MAX_IN_FLIGHT * this.clients.length - this.#inFlight;
      for (let n = Math.min(due - sent, room); n > 0; n--, sent++) {
        const { topic, payload } = next(Date.now());
        this.#publish(topic, payload);
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    return { sent, due: Math.floor(seconds * rate) };
  }

  /** Resolves when every message sent so far is acknowledged (or failed). */
  async settled(): Promise<void> {
    while (this.#inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  }

  async close(): Promise<void> {
    await this.settled();
    await Promise.all(this.clients.map((c) => c.endAsync()));
  }

  #publish(topic: string, payload: string): void {
    const client = this.clients[this.#turn] as MqttClient;
    this.#turn = (this.#turn + 1) % this.clients.length;
    this.#inFlight++;
    client.publish(topic, payload, { qos: 1 }, (err) => {
      this.#inFlight--;
      if (err) this.failed++;
      else this.acked++;
    });
  }
}
