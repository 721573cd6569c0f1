import assert from "node:assert/strict";
import { test } from "node:test";
import { logLevel } from "kafkajs";
import { kafkaLogLevel } from "../../../ground/kafka-log.ts";

const entry = (level: logLevel, error?: string) => ({
  namespace: "Connection",
  level,
  label: "ERROR",
  log: { timestamp: "2026-12-04T00:00:00.000Z", message: "Response Metadata(key: 3, version: 6)", error },
});

test("broker errors that are retried as a matter of course are debug lines, not errors", () => {
  for (const error of [
    "This server is not the leader for that topic-partition",
    "This server does not host this topic-partition",
    "This is not the correct coordinator for this group",
    "The coordinator is loading and hence can't process requests for this group",
    "The group coordinator is not available",
    "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing",
  ])
    assert.equal(kafkaLogLevel(entry(logLevel.ERROR, error)), "debug", error);
});

test("so are kafkajs's own lines about retrying them", () => {
  const line = {
    ...entry(logLevel.ERROR),
    log: {
      timestamp: "2026-12-04T00:00:00.000Z",
      message:
        "Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing",
      retryCount: 0,
    },
  };
  assert.equal(kafkaLogLevel(line), "debug");
});

test("every other error stays an error; other levels keep theirs", () => {
  assert.equal(
    kafkaLogLevel(entry(logLevel.ERROR, "Not authorized to access topics: [Topic authorization failed]")),
    "error",
  );
  assert.equal(kafkaLogLevel(entry(logLevel.ERROR)), "error");
  assert.equal(kafkaLogLevel(entry(logLevel.WARN, "The group coordinator is not available")), "warn");
  assert.equal(kafkaLogLevel(entry(logLevel.INFO)), "info");
  assert.equal(kafkaLogLevel(entry(logLevel.DEBUG)), "debug");
});
