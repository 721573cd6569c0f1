// `wattline connect file <path|->`: an NDJSON backfill into Kafka with the MQTT connector's validation, a progress
// bar on a terminal and a summary at the end. Every line ends up on Kafka: as its record or as a dead letter.
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { SingleBar } from "cli-progress";
import type { Config } from "../../ground/config.ts";
import { TOPICS } from "../../ground/topics.ts";
import { openRecordSink } from "../../pipelines/runtime/record-sink.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { deadLettered, messagesIn, recordsOut } from "../metrics.ts";
import { loadRoutes } from "../mqtt/routes.ts";
import { translateLine } from "./lines.ts";

export interface FileSummary {
  lines: number;
  valid: number;
  dead_lettered: number;
  reasons: Record<string, number>;
}

export async function backfillFile(config: Config, path: string, progress: boolean): Promise<FileSummary> {
  const routes = loadRoutes(config.mqtt.routesFile);
  const limits = { maxPayloadBytes: config.mqtt.maxPayloadBytes, maxFutureMs: config.ingest.maxFutureMs };
  const store = schemaStore();
  const sink = await openRecordSink(config, "wattline-file-connector");
  const { batches } = sink;
  let failure: Error | undefined;
  sink.failed.catch((err: Error) => {
    failure = err;
  });
  const input = path === "-" ? process.stdin : createReadStream(path);
  const bar =
    progress && path !== "-"
      ? new SingleBar({ format: "{bar} {percentage}% | {value}/{total} bytes | {lines} lines" })
      : undefined;
  bar?.start(statSync(path).size, 0, { lines: 0 });
  const summary: FileSummary = { lines: 0, valid: 0, dead_lettered: 0, reasons: {} };
  let bytes = 0;
  try {
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      summary.lines++;
      bytes += Buffer.byteLength(line) + 1;
      if (summary.lines % 5000 === 0) bar?.update(bytes, { lines: summary.lines });
      if (line.trim() === "") continue;
      if (failure) throw failure;
      const t = translateLine(routes, line, `file:${path}:${summary.lines}`, limits);
      const route = t.route?.name ?? "file";
      messagesIn.inc({ connector: "file", route });
      if (t.ok) {
        summary.valid++;
        batches.add(t.kafkaTopic, t.key, store.encode(t.record, t.value as never), () =>
          recordsOut.inc({ connector: "file", route }),
        );
      } else {
        summary.dead_lettered++;
        summary.reasons[t.deadLetter.reason] = (summary.reasons[t.deadLetter.reason] ?? 0) + 1;
        batches.add(TOPICS.deadLetter, t.deadLetter.key, store.encode("DeadLetter", t.deadLetter), () =>
          deadLettered.inc({ connector: "file", route, reason: t.deadLetter.reason }),
        );
      }
      // Backpressure: never hold more than a few batches in memory.
      if (batches.backlog > config.kafka.batchMax * 4) await batches.flush();
    }
    await batches.flush();
  } finally {
    bar?.update(bytes, { lines: summary.lines });
    bar?.stop();
    await sink.close();
  }
  return summary;
}
