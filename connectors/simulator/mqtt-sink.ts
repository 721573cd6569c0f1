// Publishing to the broker, QoS 1. The fleet is spread over `connections` MQTT connections (device j on connection
// j mod C). A connection that carries exactly one device has that device's last will (`{"status":"offline"}` on
// its status topic), so `--connections N` for N devices gives every device a real will; a shared connection can
// have only one will, so it has none, and its devices say offline explicitly when the run stops.
import { randomBytes } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";
import type { Logger } from "../../ground/logger.ts";
import { type Message, statusTopic } from "./messages.ts";
import type { Sink } from "./sink.ts";
import type { Stats } from "./stats.ts";

export interface MqttSinkOptions {
  url: string;
  username: string;
  password: string;
  deviceIds: string[];
  connections: number;
  /** Publishes awaiting their PUBACK before `send` asks the caller to wait. */
  maxInFlight: number;
  stats: Stats;
  logger: Logger;
  /** What the devices of a connection say after it reconnects (their status), since their will may have fired. */
  onReconnect: (deviceIds: string[]) => Message[];
}

/** Connections opened at once; thousands of simultaneous handshakes only overflow the broker's listen backlog. */
const CONNECT_BATCH = 50;
const CLOSE_TIMEOUT_MS = 10_000;

export class MqttSink implements Sink {
  private readonly clientOf = new Map<string, MqttClient>();
  private waiting: (() => void) | undefined;
  private idle: (() => void) | undefined;
  private errorsLogged = 0;

  private constructor(
    private readonly clients: MqttClient[],
    private readonly o: MqttSinkOptions,
  ) {
    o.deviceIds.forEach((id, j) => {
      const client = clients[j % clients.length];
      if (client) this.clientOf.set(id, client);
    });
  }

  static async open(o: MqttSinkOptions): Promise<MqttSink> {
    const count = Math.min(o.connections, o.deviceIds.length);
    const groups: string[][] = Array.from({ length: count }, () => []);
    for (const [j, id] of o.deviceIds.entries()) groups[j % count]?.push(id);
    const run = randomBytes(3).toString("hex");
    const clients: MqttClient[] = [];
    try {
      for (let first = 0; first < count; first += CONNECT_BATCH) {
        const batch = groups
          .slice(first, first + CONNECT_BATCH)
          .map((ids, k) => connect(o, ids, `wattline-sim-${run}-${first + k}`));
        // Collect what connected even when one fails, so that every opened client is closed below.
        const settled = await Promise.allSettled(batch);
        for (const s of settled) if (s.status === "fulfilled") clients.push(s.value);
        const failed = settled.find((s) => s.status === "rejected");
        if (failed) throw (failed as PromiseRejectedResult).reason;
      }
    } catch (err) {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      throw new Error(
        `cannot connect to MQTT at ${o.url}: ${(err as Error).message} (local stack: wattline stack up)`,
      );
    }
    const sink = new MqttSink(clients, o);
    for (const [c, client] of clients.entries()) sink.watch(client, groups[c] ?? []);
    return sink;
  }

  send(m: Message): undefined | Promise<void> {
    const client = this.clientOf.get(m.deviceId);
    if (!client) throw new Error(`no connection for device ${m.deviceId}`);
    this.o.stats.countSent(m);
    client.publish(m.topic, JSON.stringify(m.payload), { qos: 1 }, (err) => this.settled(err));
    if (this.o.stats.inFlight < this.o.maxInFlight) return undefined;
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  async close(): Promise<void> {
    if (this.o.stats.inFlight > 0) {
      const idle = new Promise<void>((resolve) => {
        this.idle = resolve;
      });
      const timedOut = await Promise.race([idle.then(() => false), sleep(CLOSE_TIMEOUT_MS).then(() => true)]);
      if (timedOut)
        this.o.logger.warn({ in_flight: this.o.stats.inFlight }, "closing with unacknowledged messages");
    }
    await Promise.all(this.clients.map((c) => c.endAsync(this.o.stats.inFlight > 0)));
  }

  private settled(err: Error | undefined): void {
    if (err) {
      this.o.stats.failed += 1;
      if (this.errorsLogged++ < 5) this.o.logger.warn({ err: err.message }, "publish failed");
    } else {
      this.o.stats.delivered += 1;
    }
    const inFlight = this.o.stats.inFlight;
    // Resume at half the window, not at window − 1, so that the loop wakes once per many acknowledgements.
    if (this.waiting && inFlight <= this.o.maxInFlight / 2) {
      this.waiting();
      this.waiting = undefined;
    }
    if (this.idle && inFlight === 0) this.idle();
  }

  private watch(client: MqttClient, deviceIds: string[]): void {
    let connected = true;
    client.on("offline", () => {
      if (connected)
        this.o.logger.warn({ client: client.options.clientId }, "MQTT connection lost; reconnecting");
      connected = false;
    });
    client.on("connect", () => {
      if (connected) return;
      connected = true;
      this.o.logger.info({ client: client.options.clientId }, "MQTT reconnected");
      for (const m of this.o.onReconnect(deviceIds)) void this.send(m);
    });
    client.on("error", (err) => this.o.logger.debug({ err: err.message }, "MQTT client error"));
  }
}

function connect(o: MqttSinkOptions, deviceIds: string[], clientId: string): Promise<MqttClient> {
  const only = deviceIds.length === 1 ? deviceIds[0] : undefined;
  return mqtt.connectAsync(
    o.url,
    {
      clientId,
      username: o.username,
      password: o.password,
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: 1000,
      ...(only
        ? {
            will: {
              topic: statusTopic(only),
              payload: Buffer.from('{"status":"offline"}'),
              qos: 1,
              retain: false,
            },
          }
        : {}),
    },
    false,
  );
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });
