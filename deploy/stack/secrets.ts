// Credentials for the local stack, generated once and kept (mode 600) in the state folder.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type StackSecrets, secretsPath } from "../../ground/config.ts";

const token = () => randomBytes(18).toString("base64url");

export function ensureSecrets(stateDir: string): StackSecrets {
  const file = secretsPath(stateDir);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as StackSecrets;
  const secrets: StackSecrets = {
    postgresPassword: token(),
    questdbPassword: token(),
    mqttUsername: "wattline",
    mqttPassword: token(),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
