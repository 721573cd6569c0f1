// The connections of this process, per system: sending with a bound on what a socket may buffer (a client that
// does not read is dropped, not buffered for without limit), ping/pong keepalive (a client that missed a pong by
// the next ping is terminated), broadcasts and counts for the stats route.

/** What the hub uses of a socket; the ws package's WebSocket is one. */
export interface Socket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  /** A Buffer with `binary: false` goes as a text frame, its bytes as they are. */
  send(data: string | Buffer, options?: { binary: boolean }): void;
  ping(): void;
  terminate(): void;
  close(code?: number, reason?: string): void;
  on(event: "pong" | "close", listener: () => void): unknown;
}

const OPEN = 1;
const TEXT = { binary: false };

export interface HubOptions {
  /** A socket with more than this waiting to be sent is dropped. */
  maxBufferedBytes: number;
  /** How often clients are pinged; a client silent for a whole period is terminated. */
  heartbeatMs: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = { maxBufferedBytes: 1024 * 1024, heartbeatMs: 30_000 };

export interface Client {
  readonly systemId: number;
  readonly socket: Socket;
  /** Sent its snapshot: from now on it gets updates and broadcasts. */
  ready: boolean;
  alive: boolean;
  gone: boolean;
}

export class Hub {
  readonly #systems = new Map<number, Set<Client>>();
  messagesSent = 0;
  readonly dropped = { slow: 0, unresponsive: 0 };

  constructor(
    readonly options: HubOptions,
    /** Called when a system's last client has gone. */
    private readonly onEmpty: (systemId: number) => void = () => {},
  ) {}

  add(systemId: number, socket: Socket): Client {
    const client: Client = { systemId, socket, ready: false, alive: true, gone: false };
    let clients = this.#systems.get(systemId);
    if (clients === undefined) {
      clients = new Set();
      this.#systems.set(systemId, clients);
    }
    clients.add(client);
    socket.on("pong", () => {
      client.alive = true;
    });
    socket.on("close", () => this.#remove(client));
    return client;
  }

  /** Whether `systemId` has any client. */
  watched(systemId: number): boolean {
    return this.#systems.has(systemId);
  }

  systems(): number[] {
    return [...this.#systems.keys()];
  }

  /** Sends one message; false when the client is gone or was dropped for buffering too much. */
  send(client: Client, message: object): boolean {
    return this.#sendText(client, JSON.stringify(message));
  }

  /** To every ready client of a system; returns how many got it. */
  publish(systemId: number, message: object): number {
    const clients = this.#systems.get(systemId);
    if (clients === undefined) return 0;
    // Encoded once for all its clients: given the string, the socket encodes it for each (ws, Node 20).
    const text = Buffer.from(JSON.stringify(message));
    let sent = 0;
    for (const c of clients) if (c.ready && this.#sendText(c, text)) sent++;
    return sent;
  }

  /** To every ready client of one system, or of all; returns clients reached and systems they watch. */
  broadcast(systemId: number | undefined, message: object): { clients: number; systems: number } {
    const targets = systemId === undefined ? this.systems() : [systemId];
    let clients = 0;
    let systems = 0;
    for (const id of targets) {
      const n = this.publish(id, message);
      clients += n;
      if (n > 0) systems++;
    }
    return { clients, systems };
  }

  /** One keepalive round: terminate who did not answer the previous ping, ping the others. */
  heartbeat(): void {
    for (const clients of this.#systems.values())
      for (const c of clients) {
        if (!c.alive) {
          this.#drop(c, "unresponsive");
          continue;
        }
        c.alive = false;
        if (c.socket.readyState === OPEN) c.socket.ping();
      }
  }

  /** Closes every connection; those that have not finished the closing handshake after `graceMs` are cut. */
  async closeAll(code: number, reason: string, graceMs = 1000): Promise<void> {
    const all = [...this.#systems.values()].flatMap((clients) => [...clients]);
    for (const c of all) c.socket.close(code, reason);
    const deadline = Date.now() + graceMs;
    while (this.#systems.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of all) if (!c.gone) c.socket.terminate();
  }

  stats() {
    const systems = [...this.#systems].map(([system_id, clients]) => ({
      system_id,
      connections: clients.size,
    }));
    return {
      total_connections: systems.reduce((n, s) => n + s.connections, 0),
      active_systems: systems.length,
      systems: systems.sort((a, b) => a.system_id - b.system_id),
      messages_sent: this.messagesSent,
      dropped_clients: { ...this.dropped },
    };
  }

  #sendText(client: Client, text: string | Buffer): boolean {
    if (client.gone || client.socket.readyState !== OPEN) return false;
    if (client.socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.#drop(client, "slow");
      return false;
    }
    client.socket.send(text, TEXT);
    this.messagesSent++;
    return true;
  }

  #drop(client: Client, why: keyof Hub["dropped"]): void {
    this.dropped[why]++;
    client.socket.terminate();
    this.#remove(client);
  }

  #remove(client: Client): void {
    if (client.gone) return;
    client.gone = true;
    const clients = this.#systems.get(client.systemId);
    clients?.delete(client);
    if (clients?.size === 0) {
      this.#systems.delete(client.systemId);
      this.onEmpty(client.systemId);
    }
  }
}
