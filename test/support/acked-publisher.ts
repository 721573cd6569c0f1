// Devices publishing QoS 1 readings to MQTT, each with a rising counter, keeping every reading sent and, apart, the
// ones the broker acknowledged (PUBACK): what a fault test must find stored. Publishing goes on while the broker is
// away (mqtt.js queues, and sends again on reconnection what was in flight).
import mqtt from "mqtt";

export interface Reading {
  device_id: string;
  ts: string;
  energy_wh_total: number;
  boot_id: string;
  seq: number;
}

export interface AckedPublisher {
  sent: Reading[];
  acked: Reading[];
  /** Stops publishing; waits up to `drainMs` for the acknowledgements still due, then disconnects. */
  stop(drainMs?: number): Promise<void>;
}

export async function publishAcked(
  broker: { url: string; username: string; password: string },
  devices: string[],
  intervalMs: number,
): Promise<AckedPublisher> {
  const client = await mqtt.connectAsync(broker.url, {
    username: broker.username,
    password: broker.password,
    reconnectPeriod: 250,
  });
  const sent: Reading[] = [];
  const acked: Reading[] = [];
  const pending = new Set<Promise<void>>();
  const totals = new Map(devices.map((d) => [d, 1000]));
  let seq = 0;
  let lastMs = 0;
  const tick = () => {
    // One instant per tick, never the same twice: a reading is identified by its device and ts.
    const ms = Math.max(Date.now(), lastMs + 1);
    lastMs = ms;
    seq++;
    for (const device_id of devices) {
      const energy_wh_total = (totals.get(device_id) ?? 0) + 1 + ((seq * 7 + device_id.length) % 5);
      totals.set(device_id, energy_wh_total);
      const reading = { device_id, ts: new Date(ms).toISOString(), energy_wh_total, boot_id: "b1", seq };
      sent.push(reading);
      const ack = client
        .publishAsync(`autovolt/${device_id}/telemetry`, JSON.stringify(reading), { qos: 1 })
        .then(
          () => void acked.push(reading),
          () => {},
        );
      pending.add(ack);
      void ack.finally(() => pending.delete(ack));
    }
  };
  const timer = setInterval(tick, intervalMs);
  return {
    sent,
    acked,
    async stop(drainMs = 20_000) {
      clearInterval(timer);
      await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, drainMs))]);
      await client.endAsync(true);
    },
  };
}
