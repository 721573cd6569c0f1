// QuestDB, a pinned release from Maven Central (deploy/questdb/pom.xml), run with the machine's Java.
// HTTP (REST, ILP over HTTP) and PGWire both require the generated credentials; the TCP and UDP line listeners are off.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { mavenCopyDependencies } from "./install.ts";
import { javaToolchain } from "./kafka.ts";
import type { Service, StackContext } from "./service.ts";

const pom = join(dirname(fileURLToPath(import.meta.url)), "..", "questdb", "pom.xml");

const dirs = (ctx: StackContext) => {
  const root = ctx.paths.service("questdb");
  return { libs: join(root, "libs"), root: join(root, "root") };
};

function serverConf(ctx: StackContext): string {
  const env = ctx.config.env;
  return [
    `http.net.bind.to=127.0.0.1:${env.WATTLINE_QUESTDB_HTTP_PORT}`,
    `http.min.net.bind.to=127.0.0.1:${env.WATTLINE_QUESTDB_MIN_HTTP_PORT}`,
    `pg.net.bind.to=127.0.0.1:${env.WATTLINE_QUESTDB_PG_PORT}`,
    `http.user=${ctx.config.questdb.user}`,
    `http.password=${ctx.config.questdb.password}`,
    `pg.user=${ctx.config.questdb.user}`,
    `pg.password=${ctx.config.questdb.password}`,
    "pg.readonly.user.enabled=false",
    "line.tcp.enabled=false",
    "line.udp.enabled=false",
    "telemetry.enabled=false",
    // Idle workers nap after 100 empty rounds and sleep after 200, not after 7,000 and 10,000: the stack shares a
    // few cores with Kafka and the pipeline, and a profile of a loaded QuestDB here found its WAL-apply workers
    // spinning for a sixth of its CPU. A job then waits at most the sleep (10 ms) for an idle worker.
    ...["shared", "wal.apply", "mat.view.refresh"].flatMap((pool) => [
      `${pool}.worker.nap.threshold=100`,
      `${pool}.worker.sleep.threshold=200`,
    ]),
    "",
  ].join("\n");
}

// Errors and advisories only. At INFO, QuestDB logs every WAL transaction it applies, every out-of-order merge and
// every query: 210 MB in an hour of bench/e2e here, and its logging thread took a quarter of its CPU (10 of 38
// minutes).
const LOG_CONF = [
  "writers=stdout",
  "w.stdout.class=io.questdb.log.LogConsoleWriter",
  "w.stdout.level=ERROR,CRITICAL,ADVISORY",
  "",
].join("\n");

export const questdb: Service = {
  name: "questdb",
  startTimeoutMs: 90_000,
  externalUrl: (ctx) => ctx.config.env.WATTLINE_QUESTDB_HTTP_URL,
  missingPackages: javaToolchain,
  url: (ctx) => ctx.config.questdb.httpUrl,
  ports: (ctx) => [
    [ctx.config.env.WATTLINE_QUESTDB_HTTP_PORT, "WATTLINE_QUESTDB_HTTP_PORT"],
    [ctx.config.env.WATTLINE_QUESTDB_PG_PORT, "WATTLINE_QUESTDB_PG_PORT"],
    [ctx.config.env.WATTLINE_QUESTDB_MIN_HTTP_PORT, "WATTLINE_QUESTDB_MIN_HTTP_PORT"],
  ],
  async prepare(ctx) {
    const d = dirs(ctx);
    await mavenCopyDependencies(pom, d.libs, ctx.log);
    mkdirSync(join(d.root, "conf"), { recursive: true });
    writeFileSync(join(d.root, "conf", "server.conf"), serverConf(ctx));
    writeFileSync(join(d.root, "conf", "log.conf"), LOG_CONF);
  },
  command(ctx) {
    const d = dirs(ctx);
    const jar = readdirSync(d.libs).find((f) => f.startsWith("questdb-") && f.endsWith(".jar"));
    if (!jar) throw new Error(`no QuestDB jar in ${d.libs}`);
    return {
      command: "java",
      args: [
        "-Xms256m",
        "-Xmx1g",
        "-XX:+UseParallelGC",
        "-Dnoebug",
        "-p",
        join(d.libs, jar),
        "-m",
        "io.questdb/io.questdb.ServerMain",
        "-d",
        d.root,
      ],
    };
  },
  async healthy(ctx) {
    const { httpUrl, user, password } = ctx.config.questdb;
    const res = await fetch(`${httpUrl}/exec?query=${encodeURIComponent("SELECT 1")}`, {
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` },
      signal: AbortSignal.timeout(2000),
    });
    return res.ok;
  },
};
