// Installing what a fresh machine lacks: Debian packages through apt, Java jars through Maven from a pinned pom.
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

export function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const candidate = join(dir, binary);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const isRoot = () => process.getuid?.() === 0;

function aptPrefix(): string[] {
  if (isRoot()) return [];
  if (which("sudo")) return ["sudo", "-n"];
  throw new Error(
    "Debian packages are missing and this user can neither run apt-get nor sudo: install them first",
  );
}

let aptUpdated = false;

export function aptInstall(packages: string[], log: (msg: string) => void): void {
  if (packages.length === 0) return;
  const prefix = aptPrefix();
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...prefix, ...args] as [string, ...string[]];
    execFileSync(cmd, rest, { stdio: ["ignore", "inherit", "inherit"], env });
  };
  if (!aptUpdated) {
    log("apt-get update");
    run(["apt-get", "update", "-qq"]);
    aptUpdated = true;
  }
  log(`apt-get install ${packages.join(" ")}`);
  run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...packages]);
}

export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin");
}

/** Copies a pom's runtime dependencies into `dir` unless the jars there already match that pom. */
export async function mavenCopyDependencies(
  pom: string,
  dir: string,
  log: (msg: string) => void,
): Promise<void> {
  const stamp = join(dir, ".pom-sha256");
  const hash = createHash("sha256").update(readFileSync(pom)).digest("hex");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return;
  if (!which("mvn"))
    throw new Error("Maven (mvn) is required to fetch the Kafka and QuestDB jars: apt-get install maven");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`mvn dependency:copy-dependencies -f ${pom}`);
  const args = [
    "-q",
    "-B",
    "-f",
    pom,
    "dependency:copy-dependencies",
    `-DoutputDirectory=${dir}`,
    "-DincludeScope=runtime",
  ];
  await promisify(execFile)("mvn", args).catch((err: { stdout?: string; message: string }) => {
    throw new Error(`mvn failed for ${pom}: ${err.stdout?.slice(-2000) || err.message}`);
  });
  writeFileSync(stamp, hash);
}
