// QuestDB at the edge: rows go in over ILP/HTTP (the official client), queries go out over PGWire.
import { Sender } from "@questdb/nodejs-client";
import pg from "pg";
import type { Config } from "./config.ts";

export { Sender } from "@questdb/nodejs-client";

export function questdbSender(config: Config, options = "auto_flush=off"): Promise<Sender> {
  const { httpUrl, user, password } = config.questdb;
  const url = new URL(httpUrl);
  const scheme = url.protocol === "https:" ? "https" : "http";
  return Sender.fromConfig(`${scheme}::addr=${url.host};username=${user};password=${password};${options};`);
}

export function questdbPool(config: Config, max = 4): pg.Pool {
  return new pg.Pool({ connectionString: config.questdb.pgUrl, max });
}
