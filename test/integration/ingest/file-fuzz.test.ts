// Issue 11: the file connector, fed generated lines (the MQTT fuzz's payloads as readings and as captures, raw
// bytes, a 2 MB line), turns every non-blank line into one record or one dead letter with its reason, and finishes
// the backfill. Topics of its own, so that everything on them is counted. FUZZ_SEED=<n> replays a run.
import assert from "node:assert/strict";
import { isUtf8 } from "node:buffer";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { backfillFile } from "../../../connectors/file/connector.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { idSuffixArb, payloadArb, topicArb } from "../../support/hostile-input.ts";
import { ownTopics, readAll } from "../../support/own-topics.ts";
import { config } from "../../support/stack.ts";

const own = ownTopics("fuzz-file");
const run = own.prefix.slice(0, -1);
const LINES = 200;
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const file = join(tmpdir(), `${run}.ndjson`);

after(async () => {
  rmSync(file, { force: true });
  await own.drop();
});

/** One line: a payload as it is, spliced into a reading, or wrapped as an MQTT capture. */
const lineArb = fc
  .tuple(fc.constantFrom("raw", "reading", "capture"), topicArb, idSuffixArb, payloadArb(300_000), fc.nat())
  .map(([form, topic, suffix, payload, i]) => {
    const text = payload.toString("latin1").replaceAll("\n", " ");
    if (form === "raw") return Buffer.from(text, "latin1");
    if (form === "capture") {
      return Buffer.from(JSON.stringify({ topic: topic.replace("{id}", `d${i}${suffix}`), payload: text }));
    }
    const body = text.startsWith("{") && text.length > 2 ? `,${text.slice(1)}` : "}";
    return Buffer.from(`{"device_id":${JSON.stringify(`d${suffix}`)}${body}`, "latin1");
  });

test(`every generated line is one record or one dead letter with a reason (seed ${seed})`, async () => {
  const lines = fc.sample(lineArb, { numRuns: LINES, seed });
  lines.push(Buffer.from(`{"device_id":"d","ts":1700000000000,"boot_id":"${"b".repeat(2_000_000)}"}`));
  lines.push(Buffer.from(JSON.stringify({ device_id: "good", ts: Date.now() - 1000, energy_wh_total: 1 })));
  writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")])));

  const summary = await backfillFile(config, file, false);
  const blank = lines.filter((l) => isUtf8(l) && l.toString("utf8").trim() === "").length;
  process.stdout.write(`# seed ${seed}: ${JSON.stringify(summary)}\n`);
  assert.equal(summary.lines, lines.length);
  assert.equal(summary.valid + summary.dead_lettered, lines.length - blank);
  assert.ok(summary.valid >= 1 && (summary.reasons.too_large ?? 0) >= 1);

  const total = summary.valid + summary.dead_lettered;
  const read = await readAll(undefined, (all) => all.length >= total, 60_000);
  const extra = await readAll(undefined, (all) => all.length > total, 2000);
  assert.equal(Math.max(read.length, extra.length), total, "one record or dead letter per line, no more");
  const dead = read.filter((r) => r.topic === TOPICS.deadLetter);
  assert.equal(dead.length, summary.dead_lettered);
  for (const d of dead) assert.ok((d.record.payload as Buffer).length <= 4096 && d.record.reason);
});
