// JSON logs for machines; pretty ones when a person watches a terminal.
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(name: string, level: string = process.env.WATTLINE_LOG_LEVEL ?? "info"): Logger {
  const pretty = process.stdout.isTTY && !process.env.CI;
  return pino({
    name,
    level,
    ...(pretty
      ? { transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss.l" } } }
      : {}),
  });
}
