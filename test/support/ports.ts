// A TCP port free on loopback right now, for a service a test starts on its own.
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `count` consecutive ports free on loopback, below the kernel's ephemeral range (32768 and up), so that no client's
 * outgoing connection takes one of them while the service that owns it is stopped and started again.
 */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count));
    const servers = [];
    try {
      for (let p = base; p < base + count; p++) {
        const server = createServer();
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(p, "127.0.0.1", resolve);
        });
      }
      return base;
    } catch {
      // one of them is taken: another block
    } finally {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  }
  throw new Error(`no block of ${count} free ports below 32768`);
}
