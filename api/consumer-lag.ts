// How far a consumer group is behind a topic: per partition, the log end offset minus the group's committed offset.
// A partition the group has not committed on counts from the log start (everything retained is still to read).
// A group that has committed nothing at all (not started yet, or unknown) has no lag to report: null.
import type { Kafka } from "../ground/kafka.ts";

export interface PartitionLag {
  partition: number;
  committed: number | null;
  end: number;
  lag: number;
}

export interface ConsumerLag {
  group: string;
  topic: string;
  /** Sum over partitions; null when the group has no committed offset or Kafka could not be asked. */
  lag: number | null;
  /** Records the topic retains (end − start over partitions); null when Kafka could not be asked. */
  retained: number | null;
  partitions: PartitionLag[];
  note: string | null;
}

export function lagOf(
  group: string,
  topic: string,
  ends: readonly { partition: number; high: string; low: string }[],
  committed: readonly { partition: number; offset: string }[],
): ConsumerLag {
  const byPartition = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  const partitions = [...ends]
    .sort((a, b) => a.partition - b.partition)
    .map(({ partition, high, low }) => {
      const offset = byPartition.get(partition);
      const hasCommit = offset !== undefined && offset >= 0;
      const end = Number(high);
      return {
        partition,
        committed: hasCommit ? offset : null,
        end,
        lag: Math.max(0, end - (hasCommit ? offset : Number(low))),
      };
    });
  const retained = ends.reduce((sum, e) => sum + Number(e.high) - Number(e.low), 0);
  if (partitions.every((p) => p.committed === null)) {
    return {
      group,
      topic,
      lag: null,
      retained,
      partitions,
      note: `group ${group} has committed no offset yet`,
    };
  }
  return {
    group,
    topic,
    lag: partitions.reduce((sum, p) => sum + p.lag, 0),
    retained,
    partitions,
    note: null,
  };
}

// One question per Kafka client, group and topic at a time: while Kafka is unreachable, a question outlives its
// caller's timeout (the client retries connecting for a while), and callers arriving meanwhile share it instead of
// starting more.
const pending = new WeakMap<Kafka, Map<string, Promise<ConsumerLag>>>();

function ask(kafka: Kafka, group: string, topic: string): Promise<ConsumerLag> {
  const byKey = pending.get(kafka) ?? new Map<string, Promise<ConsumerLag>>();
  pending.set(kafka, byKey);
  const key = `${group}\u0000${topic}`;
  const existing = byKey.get(key);
  if (existing !== undefined) return existing;
  const question = (async () => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const [ends, offsets] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
      ]);
      return lagOf(group, topic, ends, offsets.find((o) => o.topic === topic)?.partitions ?? []);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  })();
  byKey.set(key, question);
  question.catch(() => undefined).finally(() => byKey.delete(key));
  return question;
}

export async function consumerLag(
  kafka: Kafka,
  group: string,
  topic: string,
  timeoutMs = 2000,
): Promise<ConsumerLag> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      ask(kafka, group, topic),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    return {
      group,
      topic,
      lag: null,
      retained: null,
      partitions: [],
      note: `Kafka: ${(err as Error).message}`,
    };
  } finally {
    clearTimeout(timer);
  }
}
