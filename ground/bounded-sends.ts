// Kafka refuses a record batch larger than the topic's max.message.bytes (1 MiB by default, the smallest limit of
// any Wattline topic), and kafkajs puts every record of one topic-partition in a send into one batch. So every send
// is split, in order, into sends of at most MAX_SEND_BYTES: a burst of large records from one device (one key, one
// partition) is several batches, never one the broker refuses. A single record over the limit still goes alone.
import type { Message, Producer, ProducerBatch, RecordMetadata, TopicMessages, Transaction } from "kafkajs";

export const MAX_SEND_BYTES = 768 * 1024;
/** A record's framing in a batch (length, attributes, deltas, header count) is at most this many bytes. */
const RECORD_OVERHEAD = 32;

const size = (value: Buffer | string | null | undefined) =>
  value == null ? 0 : typeof value === "string" ? Buffer.byteLength(value) : value.length;

export const messageBytes = (m: Message): number => {
  let bytes = RECORD_OVERHEAD + size(m.key) + size(m.value);
  for (const [name, header] of Object.entries(m.headers ?? {})) {
    for (const h of Array.isArray(header) ? header : [header]) bytes += 8 + Buffer.byteLength(name) + size(h);
  }
  return bytes;
};

/** `topicMessages` in order, cut into consecutive groups of at most `max` bytes each (a larger record alone). */
export function splitByBytes(topicMessages: TopicMessages[], max = MAX_SEND_BYTES): TopicMessages[][] {
  const sends: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let bytes = 0;
  for (const { topic, messages } of topicMessages) {
    let group: TopicMessages | undefined;
    for (const m of messages) {
      const b = messageBytes(m);
      if (bytes > 0 && bytes + b > max) {
        sends.push(current);
        current = [];
        bytes = 0;
        group = undefined;
      }
      if (!group) {
        group = { topic, messages: [] };
        current.push(group);
      }
      group.messages.push(m);
      bytes += b;
    }
  }
  if (current.length > 0) sends.push(current);
  return sends;
}

type Sender = Pick<Producer, "send" | "sendBatch">;

/** Makes `sender`'s send and sendBatch split by bytes; each part is sent after the previous one is acknowledged. */
function boundSender<S extends Sender>(sender: S): S {
  const sendBatch = sender.sendBatch.bind(sender);
  const bounded = async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
    const { topicMessages = [], ...options } = batch;
    const out: RecordMetadata[] = [];
    for (const part of splitByBytes(topicMessages))
      out.push(...(await sendBatch({ ...options, topicMessages: part })));
    return out;
  };
  sender.sendBatch = bounded;
  sender.send = ({ topic, messages, ...options }) =>
    bounded({ ...options, topicMessages: [{ topic, messages }] });
  return sender;
}

export function boundSends(producer: Producer): Producer {
  const transaction = producer.transaction.bind(producer);
  producer.transaction = async (): Promise<Transaction> => boundSender(await transaction());
  return boundSender(producer);
}
