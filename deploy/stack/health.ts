// Health waits: poll a probe until it passes or the timeout expires.
import { createConnection } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export type Probe = () => Promise<boolean>;

export async function waitFor(
  probe: Probe,
  timeoutMs: number,
  isDead: () => boolean,
): Promise<"ok" | "timeout" | "died"> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return "ok";
    if (isDead()) return "died";
    await sleep(250);
  }
  return "timeout";
}

export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}
