// What integration tests share: the configuration of the running local stack and unique names per run.
import { randomBytes } from "node:crypto";
import { loadConfig } from "../../ground/config.ts";

export const config = loadConfig();

export const unique = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
