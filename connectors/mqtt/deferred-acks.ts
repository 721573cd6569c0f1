// mqtt.js handles QoS 1 messages one at a time and sends each PUBACK as soon as its handler returns. To
// acknowledge a message only after Kafka has its record without handling one message per Kafka round trip,
// PUBACKs are held here, in receive order (MQTT requires that order), and released as Kafka acknowledges.
// This wraps the client's private `_sendPacket`; mqtt is pinned and the connector tests cover the behaviour.
// Tens of thousands can be held at once, so the queue is read from a moving head (Array#shift is O(n) there), and
// the PUBACKs released in one tick go out corked, as one write.
import type { MqttClient } from "mqtt";

interface Packet {
  cmd: string;
  messageId?: number;
}

type SendPacket = (packet: Packet, cb?: () => void, ...rest: unknown[]) => void;

export interface DeferredAcks {
  /** The current connection; a message's acknowledgement is valid only on the connection it arrived on. */
  readonly generation: number;
  /** Sends the oldest held PUBACK (or, if it is not held yet, the next one as soon as it is). */
  releaseOne(generation: number): void;
  readonly held: number;
}

export function deferPubacks(client: MqttClient): DeferredAcks {
  const target = client as unknown as { _sendPacket: SendPacket };
  const send = target._sendPacket.bind(client);
  let held: Packet[] = [];
  let head = 0;
  let credit = 0;
  let corked = false;
  let generation = 0;
  // Held PUBACKs of a lost connection are dropped: the broker redelivers those messages on the next one.
  client.on("close", () => {
    generation++;
    held = [];
    head = 0;
    credit = 0;
  });
  target._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd !== "puback") return send(packet, cb, ...rest);
    if (credit > 0) {
      credit--;
      return send(packet, cb, ...rest);
    }
    held.push(packet);
    cb?.();
  };
  return {
    get generation() {
      return generation;
    },
    releaseOne(of) {
      if (of !== generation) return;
      if (head === held.length) {
        credit++;
        return;
      }
      const packet = held[head++] as Packet;
      if (head === held.length) {
        held = [];
        head = 0;
      } else if (head >= 4096 && head * 2 >= held.length) {
        held = held.slice(head);
        head = 0;
      }
      const stream = client.stream;
      if (!corked && stream) {
        corked = true;
        stream.cork();
        process.nextTick(() => {
          corked = false;
          stream.uncork();
        });
      }
      send(packet);
    },
    get held() {
      return held.length - head;
    },
  };
}
