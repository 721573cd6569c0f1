// Issue 11, points 1 and 2: dead letters are bounded, sends are split by bytes, ids and text have length limits,
// invalid UTF-8 is refused with its reason, and a file line is held in memory only up to its bound. Pure.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { DEAD_LETTER_HEAD_BYTES, deadLetter } from "../../../connectors/dead-letter.ts";
import { boundedLines, type Line } from "../../../connectors/file/bounded-lines.ts";
import { maxLineBytes, translateRead } from "../../../connectors/file/lines.ts";
import { MAX_ID_LENGTH } from "../../../connectors/limits.ts";
import { compileRoutes, DEFAULT_ROUTES } from "../../../connectors/mqtt/routes.ts";
import { type Translation, translate } from "../../../connectors/mqtt/translate.ts";
import { MAX_SEND_BYTES, messageBytes, splitByBytes } from "../../../ground/bounded-sends.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";

const routes = compileRoutes(DEFAULT_ROUTES);
const limits = { maxPayloadBytes: 65_536, maxFutureMs: 3_600_000 };
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const mqtt = (topic: string, payload: Buffer) =>
  translate(routes, { topic, payload, receivedAt: Date.now(), source: "mqtt" }, limits);

function letter(t: Translation | undefined) {
  if (!t || t.ok) return assert.fail("expected a dead letter");
  return t.deadLetter;
}

describe("dead letters keep the head of a payload, with its size and SHA-256", () => {
  test("a 1 MiB message on an unknown topic (refused before the size check) makes a dead letter under 6 KiB", () => {
    const payload = Buffer.alloc(1024 * 1024, 0x61);
    const d = letter(mqtt("autovolt/dev/firmware", payload));
    assert.equal(d.reason, "unknown_topic");
    assert.deepEqual(d.payload, payload.subarray(0, DEAD_LETTER_HEAD_BYTES));
    assert.match(
      String(d.details),
      new RegExp(`payload 1048576 bytes, sha256 ${sha256(payload)}, first 4096 kept`),
    );
    assert.ok(schemaStore().encode("DeadLetter", d).length < 6 * 1024);
  });

  test("too_large keeps the head too; a small payload is kept whole with no note", () => {
    const big = letter(mqtt("autovolt/dev/telemetry", Buffer.alloc(70_000, 0x20)));
    assert.equal(big.reason, "too_large");
    assert.equal(big.payload.length, DEAD_LETTER_HEAD_BYTES);
    assert.match(String(big.details), /^70000 bytes, limit 65536; payload 70000 bytes, sha256 [0-9a-f]{64}/);
    const small = letter(mqtt("autovolt/dev/telemetry", Buffer.from("{x")));
    assert.deepEqual(small.payload, Buffer.from("{x"));
    assert.doesNotMatch(String(small.details), /sha256/);
  });

  test("a huge topic and key are clipped and say how long they were", () => {
    const topic = `x/${"t".repeat(60_000)}`;
    const d = deadLetter({
      source: "mqtt",
      where: topic,
      key: topic,
      input: Buffer.from("{}"),
      reason: "unknown_topic",
      details: null,
      receivedAt: 0,
    });
    assert.ok(d.original_topic.length < MAX_ID_LENGTH + 40);
    assert.match(d.original_topic, /… \(60002 characters\)$/);
    assert.equal(d.key, d.original_topic);
  });
});

describe("bad input is a dead letter with its reason", () => {
  test("invalid UTF-8 is invalid_utf8, not silently replaced", () => {
    const payload = Buffer.concat([
      Buffer.from('{"energy_wh_total": 1, "boot_id": "'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const d = letter(mqtt("autovolt/dev/telemetry", payload));
    assert.equal(d.reason, "invalid_utf8");
    assert.deepEqual(d.payload, payload);
  });

  test("a device id over the limit is id_too_long; a boot id or firmware over it is invalid_payload", () => {
    const long = "d".repeat(MAX_ID_LENGTH + 1);
    const id = letter(mqtt(`autovolt/${long}/telemetry`, Buffer.from('{"energy_wh_total": 1}')));
    assert.equal(id.reason, "id_too_long");
    assert.match(String(id.details), /^device: 201 characters, limit 200/);
    const boot = letter(
      mqtt("autovolt/d/telemetry", Buffer.from(JSON.stringify({ energy_wh_total: 1, boot_id: long }))),
    );
    assert.equal(boot.reason, "invalid_payload");
    assert.match(String(boot.details), /^boot_id:/);
    const fw = letter(
      mqtt("autovolt/d/heartbeat", Buffer.from(JSON.stringify({ firmware: "f".repeat(300) }))),
    );
    assert.match(String(fw.details), /^firmware:/);
    const ok = mqtt(`autovolt/${"d".repeat(MAX_ID_LENGTH)}/telemetry`, Buffer.from('{"energy_wh_total": 1}'));
    assert.equal(ok.ok, true);
  });

  test("huge numbers and NaN written as strings are invalid_payload", () => {
    for (const value of ["1e400", '"NaN"', '"Infinity"', "-1e999"]) {
      const d = letter(mqtt("autovolt/d/telemetry", Buffer.from(`{"energy_wh_total": ${value}}`)));
      assert.equal(d.reason, "invalid_payload", value);
    }
  });

  test("deeply nested JSON is refused, not a crash", () => {
    const deep = Buffer.from(`${"[".repeat(200_000)}${"]".repeat(200_000)}`);
    assert.equal(letter(mqtt("autovolt/d/telemetry", deep)).payload.length, DEAD_LETTER_HEAD_BYTES);
  });
});

describe("sends are split by bytes", () => {
  test("twenty 60 kB dead letters of one device, and 2,000 records, go in sends under the limit, in order", () => {
    const big = Array.from({ length: 20 }, (_, i) => ({ key: "dev", value: Buffer.alloc(60_000, i) }));
    const small = Array.from({ length: 2000 }, (_, i) => ({ key: "dev", value: Buffer.from(String(i)) }));
    const sends = splitByBytes([
      { topic: "a", messages: big },
      { topic: "b", messages: small },
    ]);
    assert.ok(sends.length >= 2);
    for (const send of sends) {
      const bytes = send.flatMap((t) => t.messages).reduce((n, m) => n + messageBytes(m), 0);
      assert.ok(bytes <= MAX_SEND_BYTES, `${bytes} bytes in one send`);
    }
    const flat = sends.flat().flatMap((t) => t.messages.map((m) => [t.topic, m.value]));
    assert.deepEqual(flat, [...big.map((m) => ["a", m.value]), ...small.map((m) => ["b", m.value])]);
  });

  test("a record over the limit goes alone", () => {
    const sends = splitByBytes([
      { topic: "a", messages: [{ value: "x" }, { value: Buffer.alloc(MAX_SEND_BYTES * 2) }, { value: "y" }] },
    ]);
    assert.deepEqual(
      sends.map((s) => s[0]?.messages.length),
      [1, 1, 1],
    );
  });
});

describe("file lines are bounded", () => {
  const read = async (chunks: (string | Buffer)[], max: number) => {
    const out: Line[] = [];
    for await (const line of boundedLines(Readable.from(chunks), max)) out.push(line);
    return out;
  };

  test("lines across chunks, CRLF, a last line without newline", async () => {
    const lines = await read(["ab", "c\r\nd", "e\n\nf"], 100);
    assert.deepEqual(
      lines.map((l) => l.bytes?.toString()),
      ["abc", "de", "", "f"],
    );
  });

  test("a 2 MB line becomes an excerpt with its size and hash; the next line is read normally", async () => {
    const huge = Buffer.alloc(2_000_000, 0x62);
    const chunks = [
      Buffer.from("x\n"),
      ...Array.from({ length: 40 }, (_, i) => huge.subarray(i * 50_000, (i + 1) * 50_000)),
      Buffer.from("\ny\n"),
    ];
    const lines = await read(chunks, 1000);
    assert.equal(lines.length, 3);
    assert.equal(lines[1]?.tooLong?.size, 2_000_000);
    assert.equal(lines[1]?.tooLong?.sha256, sha256(huge));
    assert.equal(lines[1]?.tooLong?.head.length, DEAD_LETTER_HEAD_BYTES);
    assert.equal(lines[2]?.bytes?.toString(), "y");
    const d = letter(translateRead(routes, lines[1] as Line, "file:f:2", limits));
    assert.equal(d.reason, "too_large");
    assert.match(
      String(d.details),
      new RegExp(`^line of 2000000 bytes, limit ${maxLineBytes(65_536)}; payload 2000000`),
    );
  });

  test("a line of invalid UTF-8 is invalid_utf8", () => {
    const d = letter(translateRead(routes, { bytes: Buffer.from([0xff, 0xfe, 0x7b]) }, "file:f:1", limits));
    assert.equal(d.reason, "invalid_utf8");
  });
});
