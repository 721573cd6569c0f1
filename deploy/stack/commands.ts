// `wattline stack up | down | status | logs`: the local stack's lifecycle.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { loadConfig } from "../../ground/config.ts";
import { portOpen, waitFor } from "./health.ts";
import { aptInstall } from "./install.ts";
import { kafkaServices } from "./kafka.ts";
import { mosquitto } from "./mosquitto.ts";
import { stackPaths } from "./paths.ts";
import { postgres } from "./postgres.ts";
import { isAlive, readPid, startDetached, stopPid, tail } from "./processes.ts";
import { questdb } from "./questdb.ts";
import { ensureSecrets } from "./secrets.ts";
import type { Service, StackContext } from "./service.ts";

/** The Kafka nodes (one by default, WATTLINE_KAFKA_NODES), QuestDB, Postgres, Mosquitto. */
export const stackServices = (ctx: StackContext): Service[] => [
  ...kafkaServices(ctx),
  questdb,
  postgres,
  mosquitto,
];

const say = (message: string) => process.stderr.write(`[stack] ${message}\n`);

function context(): StackContext {
  const stateDir = loadConfig().stateDir;
  const secrets = ensureSecrets(stateDir);
  const config = loadConfig();
  const paths = stackPaths(config.stateDir);
  return { config, paths, secrets, log: say };
}

const running = (ctx: StackContext, s: Service) => {
  const pid = readPid(ctx.paths.pid(s.name));
  return pid !== undefined && isAlive(pid) ? pid : undefined;
};

const maskPassword = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");

async function startOne(ctx: StackContext, s: Service): Promise<void> {
  const healthyNow = () => s.healthy(ctx).catch(() => false);
  if (running(ctx, s) !== undefined && (await healthyNow())) {
    say(`${s.name}: already running`);
    return;
  }
  await stopPid(ctx.paths.pid(s.name), undefined, s.stopSignal);
  for (const [port, variable] of s.ports(ctx)) {
    if (await portOpen(port))
      throw new Error(`${s.name}: port ${port} is taken by another process; choose another with ${variable}`);
  }
  await s.prepare(ctx);
  const pid = startDetached({
    ...s.command(ctx),
    logFile: ctx.paths.log(s.name),
    pidFile: ctx.paths.pid(s.name),
  });
  const started = Date.now();
  const outcome = await waitFor(healthyNow, s.startTimeoutMs, () => !isAlive(pid));
  if (outcome !== "ok") {
    const why = outcome === "died" ? "exited during start" : `not healthy after ${s.startTimeoutMs / 1000} s`;
    throw new Error(
      `${s.name} ${why}; last lines of ${ctx.paths.log(s.name)}:\n${tail(ctx.paths.log(s.name), 30)}`,
    );
  }
  await s.afterStart?.(ctx);
  say(`${s.name}: up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${maskPassword(s.url(ctx))}`);
}

export async function up(): Promise<void> {
  const started = Date.now();
  const ctx = context();
  mkdirSync(ctx.paths.logs, { recursive: true });
  const services = stackServices(ctx);
  const local = services.filter((s) => !s.externalUrl(ctx));
  for (const s of services.filter((x) => x.externalUrl(ctx)))
    say(`${s.name}: external (${maskPassword(s.url(ctx))}), not started`);
  aptInstall([...new Set(local.flatMap((s) => s.missingPackages()))], say);
  const results = await Promise.allSettled(local.map((s) => startOne(ctx, s)));
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  if (failures.length > 0) {
    for (const err of failures) say(`FAILED ${err.message}`);
    process.exitCode = 1;
    return;
  }
  say(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s (state in ${ctx.paths.root})`);
}

/** Stops what `stack up` started, Kafka last: its nodes together (whatever WATTLINE_KAFKA_NODES says now), since
 * a node stopping alone waits for a quorum that the others' stop would take away. */
export async function down(): Promise<void> {
  const ctx = context();
  const stopped = async (name: string, signal?: NodeJS.Signals) => {
    const was = await stopPid(ctx.paths.pid(name), undefined, signal);
    say(`${name}: ${was ? "stopped" : "was not running"}`);
  };
  for (const s of [mosquitto, postgres, questdb]) await stopped(s.name, s.stopSignal);
  const pidFiles = existsSync(ctx.paths.run) ? readdirSync(ctx.paths.run) : [];
  const started = pidFiles.flatMap((f) => /^(kafka(-\d+)?)\.pid$/.exec(f)?.[1] ?? []);
  await Promise.all(
    [...new Set([...kafkaServices(ctx).map((s) => s.name), ...started])].map((n) => stopped(n)),
  );
}

interface ServiceStatus {
  service: string;
  state: "running" | "unhealthy" | "stopped" | "external";
  pid: number | null;
  url: string;
}

export async function collectStatus(ctx: StackContext): Promise<ServiceStatus[]> {
  return Promise.all(
    stackServices(ctx).map(async (s): Promise<ServiceStatus> => {
      const url = maskPassword(s.url(ctx));
      if (s.externalUrl(ctx)) return { service: s.name, state: "external", pid: null, url };
      const pid = running(ctx, s);
      if (pid === undefined) return { service: s.name, state: "stopped", pid: null, url };
      const ok = await s.healthy(ctx).catch(() => false);
      return { service: s.name, state: ok ? "running" : "unhealthy", pid, url };
    }),
  );
}

export async function status(opts: { json?: boolean; quiet?: boolean }): Promise<void> {
  const ctx = context();
  const rows = await collectStatus(ctx);
  const allUp = rows.every((r) => r.state === "running" || r.state === "external");
  if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (!opts.quiet) {
    for (const r of rows)
      process.stdout.write(
        `${r.service.padEnd(10)} ${r.state.padEnd(10)} ${String(r.pid ?? "-").padEnd(8)} ${r.url}\n`,
      );
  }
  process.exitCode = allUp ? 0 : 1;
}

export async function logs(service: string, lines: number): Promise<void> {
  const ctx = context();
  const services = stackServices(ctx);
  if (!services.some((s) => s.name === service)) {
    say(`unknown service "${service}"; one of: ${services.map((s) => s.name).join(", ")}`);
    process.exitCode = 2;
    return;
  }
  const file = ctx.paths.log(service);
  if (!existsSync(file)) say(`no log yet at ${file}`);
  else process.stdout.write(`${tail(file, lines)}\n`);
}
