// QuestDB at the edge: rows go in over ILP/HTTP (the official client, or ilp.ts on the hot paths), queries go out
// over PGWire.
import { Sender } from "@questdb/nodejs-client";
import pg from "pg";
import type { Config } from "./config.ts";
import { warnOnIdleErrors } from "./pool-errors.ts";

export { Sender } from "@questdb/nodejs-client";

export type TimestampUnit = "us" | "ms";

/** The row-building calls of the client's Sender that Wattline makes; ilp.ts's IlpBody makes the same bytes. */
export interface RowWriter {
  table(name: string): RowWriter;
  symbol(name: string, value: unknown): RowWriter;
  stringColumn(name: string, value: string): RowWriter;
  booleanColumn(name: string, value: boolean): RowWriter;
  floatColumn(name: string, value: number): RowWriter;
  intColumn(name: string, value: number): RowWriter;
  timestampColumn(name: string, value: number | bigint, unit?: TimestampUnit): RowWriter;
  at(timestamp: number | bigint, unit?: TimestampUnit): Promise<void> | void;
}

/** A RowWriter that sends what it holds: the client's Sender, or ilp.ts's IlpSender. */
export interface RowSender extends RowWriter {
  flush(): Promise<boolean>;
  reset(): unknown;
  close(): Promise<void>;
}

export function questdbSender(config: Config, options = "auto_flush=off"): Promise<Sender> {
  const { httpUrl, user, password } = config.questdb;
  const url = new URL(httpUrl);
  const scheme = url.protocol === "https:" ? "https" : "http";
  return Sender.fromConfig(`${scheme}::addr=${url.host};username=${user};password=${password};${options};`);
}

export function questdbPool(config: Config, max = 4): pg.Pool {
  return warnOnIdleErrors(new pg.Pool({ connectionString: config.questdb.pgUrl, max }), "questdb");
}
