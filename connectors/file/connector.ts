// `wattline connect file <path|->`: an NDJSON backfill into Kafka with the MQTT connector's validation, a progress
// bar on a terminal and a summary at the end. Every line ends up on Kafka: as its record or as a dead letter.
import { createReadStream, statSync } from "node:fs";
import { SingleBar } from "cli-progress";
import type { Config } from "../../ground/config.ts";
import { openRecordSink } from "../../pipelines/runtime/record-sink.ts";
import { schemaStore } from "../../schemas/codec/schema-store.ts";
import { deadLettered, messagesIn, recordsOut } from "../metrics.ts";
import { loadRoutes } from "../mqtt/routes.ts";
import { outgoing } from "../outgoing.ts";
import { boundedLines } from "./bounded-lines.ts";
import { maxLineBytes, translateRead } from "./lines.ts";

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
    for await (const line of boundedLines(input, maxLineBytes(limits.maxPayloadBytes))) {
      summary.lines++;
      bytes += (line.tooLong ? line.tooLong.size : line.bytes.length) + 1;
      if (summary.lines % 5000 === 0) bar?.update(bytes, { lines: summary.lines });
      if (failure) throw failure;
      const where = `file:${path}:${summary.lines}`;
      const t = translateRead(routes, line, where, limits);
      if (t === undefined) continue;
      const route = t.route?.name ?? "file";
      messagesIn.inc({ connector: "file", route });
      const { reason, ...out } = outgoing(store, t, {
        source: "file",
        where,
        input: line.bytes ?? Buffer.alloc(0),
      });
      if (reason === undefined) {
        summary.valid++;
        batches.add(out.topic, out.key, out.value, () => recordsOut.inc({ connector: "file", route }));
      } else {
        summary.dead_lettered++;
        summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1;
        batches.add(out.topic, out.key, out.value, () =>
          deadLettered.inc({ connector: "file", route, reason }),
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
