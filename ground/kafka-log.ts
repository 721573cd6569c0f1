// kafkajs's log lines, through the process's pino logger. kafkajs logs every error response of a broker at ERROR,
// also the ones that it, or Wattline, retries as a matter of course: a partition's leader or a coordinator moving,
// a coordinator still loading, a transaction still being completed. Those go to debug: a retry that fails in the
// end surfaces as its caller's error.
import { type LogEntry, type logCreator, logLevel } from "kafkajs";
import type { Level } from "pino";
import { createLogger, type Logger } from "./logger.ts";

/** Broker errors retried as a matter of course, as kafkajs words them. */
const RETRIED = [
  "not the leader for that topic-partition",
  "does not host this topic-partition",
  "not the correct coordinator",
  "coordinator is loading",
  "coordinator is not available",
  "another concurrent operation on the same transaction",
];

/** The pino level of a kafkajs log entry. */
export function kafkaLogLevel(entry: LogEntry): Level {
  // A broker's answer is in `error` ("Response …" lines) or in the message ("Failed to send messages: …").
  const text = `${entry.log.message} ${entry.log.error ?? ""}`;
  if (entry.level === logLevel.ERROR && RETRIED.some((m) => text.includes(m))) return "debug";
  if (entry.level === logLevel.ERROR) return "error";
  if (entry.level === logLevel.WARN) return "warn";
  return entry.level === logLevel.INFO ? "info" : "debug";
}

/** One logger per level for every Kafka client of the process (a pretty one runs a thread of its own). */
const loggers = new Map<string, Logger>();

/** A kafkajs logCreator writing to the process's pino logger named kafkajs, created at the first line. */
export function kafkaLogCreator(level: string): logCreator {
  return () => (entry) => {
    let logger = loggers.get(level);
    if (logger === undefined) {
      logger = createLogger("kafkajs", level);
      loggers.set(level, logger);
    }
    const { message, timestamp: _, ...extra } = entry.log;
    logger[kafkaLogLevel(entry)]({ namespace: entry.namespace, ...extra }, message);
  };
}
