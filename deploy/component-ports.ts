// The ports `wattline start`'s components listen on, each with the variable that moves it, so that a port in use is
// one line saying which variable to change, before anything starts (or when a component's log says EADDRINUSE).
import type { Config } from "../ground/config.ts";
import { portOpen } from "./stack/health.ts";

export type PortUse = [port: number, variable: string];

export function componentPorts(config: Config, metricsPorts: number): PortUse[] {
  const ports: PortUse[] = [
    [config.api.port, "WATTLINE_API_PORT"],
    [config.hopecloud.simulatorPort, "WATTLINE_HOPECLOUD_SIMULATOR_PORT"],
  ];
  for (let i = 0; config.metrics.port !== 0 && i < metricsPorts; i++)
    ports.push([
      config.metrics.port + i,
      i === 0 ? "WATTLINE_METRICS_PORT" : `WATTLINE_METRICS_PORT (+${i})`,
    ]);
  return ports;
}

export const portInUse = ([port, variable]: PortUse) =>
  `port ${port} is in use by another process: stop that process, or set ${variable} to a free port`;

export async function portsInUse(ports: PortUse[]): Promise<string[]> {
  const taken = await Promise.all(
    ports.map(async (p) => ((await portOpen(p[0])) ? portInUse(p) : undefined)),
  );
  return taken.filter((t) => t !== undefined);
}

/** The explanation for a log line that reports one of `ports` in use (EADDRINUSE), if it is one. */
export function addressInUse(ports: PortUse[]): (line: string) => string | undefined {
  return (line) => {
    const port = /EADDRINUSE\D*?(?:[\d.]+|\[[^\]]*\]|::)?:(\d+)/.exec(line)?.[1];
    if (port === undefined) return undefined;
    return portInUse(ports.find(([p]) => p === Number(port)) ?? [Number(port), "the variable of that port"]);
  };
}
