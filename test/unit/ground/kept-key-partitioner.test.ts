// The producers' partitioner keeps each key's partition: it must choose exactly what kafkajs's default (Java's
// murmur2) chooses, for every key and partition count, so that every producer and other clients agree. Pure.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Partitioners } from "kafkajs";
import { keptKeyPartitioner } from "../../../ground/kafka.ts";

const metadata = (count: number) =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    offlineReplicas: [],
  }));

test("a kept key's partition is the default partitioner's, for any key, count and order of sends", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 64 })), { maxLength: 200 }),
      (sends) => {
        const kept = keptKeyPartitioner();
        const plain = Partitioners.DefaultPartitioner();
        for (const [key, count] of [...sends, ...sends]) {
          const args = { topic: "t", partitionMetadata: metadata(count), message: { key, value: "v" } };
          assert.equal(kept(args), plain(args));
        }
      },
    ),
  );
});

test("a message's own partition, and a message without a string key, are left to the default", () => {
  const kept = keptKeyPartitioner();
  const partitionMetadata = metadata(12);
  assert.equal(
    kept({ topic: "t", partitionMetadata, message: { key: "dev-1", value: "v", partition: 7 } }),
    7,
  );
  const unkeyed = new Set(
    Array.from({ length: 50 }, () => kept({ topic: "t", partitionMetadata, message: { value: "v" } })),
  );
  assert.ok(unkeyed.size > 1, "messages without a key are spread round-robin");
});
