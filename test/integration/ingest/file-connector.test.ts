import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { createKafka } from "../../../ground/kafka.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { collect } from "../../support/kafka.ts";
import { config, unique } from "../../support/stack.ts";

const run = promisify(execFile);

test("connect file: valid lines become records, each invalid one a dead letter, and a summary at the end", async () => {
  const device = unique("file-dev");
  const lines = [
    JSON.stringify({ device_id: device, ts: "2025-01-01T00:00:00Z", energy_wh_total: 10 }),
    JSON.stringify({
      device_id: device,
      ts: 1735693260000,
      energy_wh_total: 11.5,
      power_w: 90,
      boot_id: "b1",
      seq: 2,
    }),
    "",
    "{not json",
    JSON.stringify({ device_id: device, ts: "2025-01-01T00:02:00", energy_wh_total: 12 }),
    JSON.stringify({ device_id: device, energy_wh_total: 13 }),
    JSON.stringify({
      topic: `autovolt/${device}/telemetry`,
      payload: { energy_wh_total: 14, ts: "2025-01-01T00:04:00Z" },
    }),
  ];
  const file = join(tmpdir(), `${device}.ndjson`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  const { stdout } = await run("node", ["bin/wattline.js", "connect", "file", file]);
  const summary = JSON.parse(stdout) as {
    lines: number;
    valid: number;
    dead_lettered: number;
    reasons: Record<string, number>;
  };
  assert.deepEqual(summary, {
    lines: 7,
    valid: 3,
    dead_lettered: 3,
    reasons: { not_json: 1, invalid_payload: 2 },
  });

  const readings = await collect("telemetry.energy.v1", (k) => k === device, 3);
  assert.deepEqual(
    readings.map((r) => [r.record.energy_wh_total, r.record.source]),
    [
      [10, "file"],
      [11.5, "file"],
      [14, "file"],
    ],
  );
  const dead = await collect(
    "deadletter.v1",
    (_k, r) => String(r.original_topic).startsWith(`file:${file}:`),
    3,
  );
  assert.deepEqual(dead.map((d) => [d.record.original_topic, d.record.reason]).sort(), [
    [`file:${file}:4`, "not_json"],
    [`file:${file}:5`, "invalid_payload"],
    [`file:${file}:6`, "invalid_payload"],
  ]);
});

test("tail prints decoded records as NDJSON and stops after --count", async () => {
  const device = unique("tail-dev");
  const topic = unique("tail-topic");
  const admin = createKafka(config).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = createKafka(config).producer();
  await producer.connect();
  const reading = {
    device_id: device,
    ts: 1,
    ts_source: "device" as const,
    energy_wh_total: 5,
    power_w: null,
    boot_id: null,
    seq: null,
    switch_state: null,
    voltage_v: null,
    current_a: null,
    source: "test",
    received_at: 2,
  };
  const letter = {
    source: "test",
    original_topic: "x",
    key: null,
    payload: Buffer.from([0xff, 0x00]),
    reason: "not_json",
    details: null,
    received_at: 3,
  };
  await producer.send({
    topic,
    messages: [
      { key: device, value: schemaStore().encode("TelemetryReading", reading) },
      { key: null, value: schemaStore().encode("DeadLetter", letter) },
      { key: "junk", value: Buffer.from("not avro") },
    ],
  });
  await producer.disconnect();
  try {
    const { stdout } = await run(
      "node",
      ["bin/wattline.js", "tail", topic, "--from-beginning", "--count", "3"],
      { timeout: 60_000 },
    );
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { key: string | null; schema?: string; record: Record<string, unknown> });
    assert.equal(lines.length, 3);
    assert.equal(lines[0]?.schema, "TelemetryReading.v1");
    assert.deepEqual(lines[0]?.record, reading);
    assert.deepEqual(lines[1]?.record.payload, { base64: "/wA=" });
    assert.match(String(lines[2]?.record.undecodable), /marker/);
  } finally {
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }
});
