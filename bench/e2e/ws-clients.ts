// Live feed clients for bench/e2e: each opens /ws/monitoring/:system_id with a viewer key and, once `measure` is
// called, records for every reading in an `update` the time from its publish (the reading's `ts`, set at publish on
// this machine's clock) to now, when the push is read. Before that the pushes are received but not parsed: the
// clients share the publisher's process and cores, and parsing every push (each reading goes to the ten clients of
// its system) would be the harness's load, not the system's, during the throughput search.
import WebSocket from "ws";
import { Histogram } from "./histogram.ts";

interface Update {
  type: string;
  data: { readings?: { ts: string }[] };
}

export class WsClients {
  latency = new Histogram();
  #measuring = false;
  readonly #sockets: WebSocket[] = [];

  static async open(base: string, key: string, systems: number[], count: number): Promise<WsClients> {
    const clients = new WsClients();
    for (let i = 0; i < count; i++) {
      const system = systems[i % systems.length] as number;
      const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws/monitoring/${system}`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      ws.on("message", (data) => clients.#receive(data));
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      clients.#sockets.push(ws);
    }
    return clients;
  }

  /** Starts measuring the latency afresh. */
  measure(): void {
    this.latency = new Histogram();
    this.#measuring = true;
  }

  get open(): number {
    return this.#sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
  }

  close(): void {
    for (const s of this.#sockets) s.terminate();
  }

  #receive(data: WebSocket.RawData): void {
    if (!this.#measuring) return;
    const now = Date.now();
    const message = JSON.parse(String(data)) as Update;
    if (message.type !== "update") return;
    for (const r of message.data.readings ?? []) this.latency.add(now - Date.parse(r.ts));
  }
}
