// PostgreSQL from Debian's packages with its own data directory and port. The server refuses to run as root,
// so when the stack runs as root the server runs as a dedicated system user.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import pg from "pg";
import { postgresBinDir } from "./install.ts";
import type { Service, StackContext } from "./service.ts";

const SERVICE_USER = "wattline-pg";
const isRoot = () => process.getuid?.() === 0;

function ensureServiceUser(): void {
  try {
    execFileSync("id", ["-u", SERVICE_USER], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER]);
  }
}

const asServiceUser = (command: string, args: string[]): [string, string[]] =>
  isRoot()
    ? ["setpriv", ["--reuid", SERVICE_USER, "--regid", SERVICE_USER, "--init-groups", "--", command, ...args]]
    : [command, args];

function canUse(dir: string): boolean {
  if (!isRoot()) return true;
  try {
    const [cmd, args] = asServiceUser("test", ["-w", dir]);
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The data directory: in the state folder when the service user can reach it, else under /var/lib/wattline. */
function dataDir(ctx: StackContext): string {
  const preferred = ctx.paths.service("postgres");
  mkdirSync(preferred, { recursive: true });
  if (!isRoot()) return join(preferred, "data");
  execFileSync("chown", [SERVICE_USER, preferred]);
  if (canUse(preferred)) return join(preferred, "data");
  const id = createHash("sha256").update(ctx.paths.root).digest("hex").slice(0, 12);
  const fallback = join("/var/lib/wattline", id, "postgres");
  mkdirSync(fallback, { recursive: true });
  execFileSync("chown", ["-R", SERVICE_USER, join("/var/lib/wattline", id)]);
  chmodSync(join("/var/lib/wattline", id), 0o700);
  return join(fallback, "data");
}

const client = (ctx: StackContext, database: string) =>
  new pg.Client({
    host: "127.0.0.1",
    port: ctx.config.env.WATTLINE_POSTGRES_PORT,
    user: "wattline",
    password: ctx.secrets.postgresPassword,
    database,
    connectionTimeoutMillis: 2000,
  });

let resolvedDataDir: string | undefined;

export const postgres: Service = {
  name: "postgres",
  startTimeoutMs: 60_000,
  // Fast shutdown: SIGTERM's smart shutdown waits for every client to disconnect, which running components never do.
  stopSignal: "SIGINT",
  externalUrl: (ctx) => ctx.config.env.WATTLINE_POSTGRES_URL,
  missingPackages: () => (postgresBinDir() ? [] : ["postgresql"]),
  url: (ctx) => ctx.config.postgres.url,
  ports: (ctx) => [[ctx.config.env.WATTLINE_POSTGRES_PORT, "WATTLINE_POSTGRES_PORT"]],
  async prepare(ctx) {
    if (isRoot()) ensureServiceUser();
    resolvedDataDir = dataDir(ctx);
    if (existsSync(join(resolvedDataDir, "PG_VERSION"))) return;
    const bin = postgresBinDir();
    if (!bin) throw new Error("PostgreSQL binaries not found under /usr/lib/postgresql");
    ctx.log(`initdb ${resolvedDataDir}`);
    // Beside the data directory: the one place the service user is known to reach.
    const pwfile = join(dirname(resolvedDataDir), "initial-password");
    writeFileSync(pwfile, ctx.secrets.postgresPassword, { mode: 0o600 });
    if (isRoot()) execFileSync("chown", [SERVICE_USER, pwfile]);
    try {
      const [cmd, args] = asServiceUser(join(bin, "initdb"), [
        "-D",
        resolvedDataDir,
        "-U",
        "wattline",
        "--pwfile",
        pwfile,
        "--auth=scram-sha-256",
        "-E",
        "UTF8",
        "--no-locale",
      ]);
      execFileSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"], cwd: "/" });
    } finally {
      rmSync(pwfile, { force: true });
    }
  },
  command(ctx) {
    const bin = postgresBinDir();
    if (!bin || !resolvedDataDir) throw new Error("postgres is not prepared");
    const [command, args] = asServiceUser(join(bin, "postgres"), [
      "-D",
      resolvedDataDir,
      "-p",
      String(ctx.config.env.WATTLINE_POSTGRES_PORT),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=200",
    ]);
    // From "/": the service user may not enter the directory the stack was started from.
    return { command, args, cwd: "/" };
  },
  async healthy(ctx) {
    const c = client(ctx, "postgres");
    try {
      await c.connect();
      await c.query("SELECT 1");
      return true;
    } finally {
      await c.end().catch(() => {});
    }
  },
  async afterStart(ctx) {
    const c = client(ctx, "postgres");
    await c.connect();
    try {
      const { rowCount } = await c.query("SELECT 1 FROM pg_database WHERE datname = 'wattline'");
      if (!rowCount) await c.query("CREATE DATABASE wattline");
    } finally {
      await c.end();
    }
  },
};
