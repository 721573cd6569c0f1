// Live feed clients for bench/e2e: each opens /ws/monitoring/:system_id with a viewer key and, for every reading in
// an `update`, records the time from its publish (the reading's `ts`, set at publish on this machine's clock) to
// now, when the push is read.
import WebSocket from "ws";
import { Histogram } from "./histogram.ts";

interface Update {
  type: string;
  data: { readings?: { ts: string }[] };
}

export class WsClients {
  latency = new Histogram();
  messages = 0;
  readonly #sockets: WebSocket[] = [];

  static async open(base: string, key: string, systems: number[], count: number): Promise<WsClients> {
    const clients = new WsClients();
    for (let i = 0; i < count; i++) {
      const system = systems[i % systems.length] as number;
      const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws/monitoring/${system}`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      ws.on("message", (data) => clients.#receive(String(data)));
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      clients.#sockets.push(ws);
    }
    return clients;
  }

  /** Starts counting afresh (e.g. after the clients' snapshots). */
  reset(): void {
    this.latency = new Histogram();
    this.messages = 0;
  }

  get open(): number {
    return this.#sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
  }

  close(): void {
    for (const s of this.#sockets) s.terminate();
  }

  #receive(text: string): void {
    const now = Date.now();
    const message = JSON.parse(text) as Update;
    this.messages++;
    if (message.type !== "update") return;
    for (const r of message.data.readings ?? []) this.latency.add(now - Date.parse(r.ts));
  }
}
