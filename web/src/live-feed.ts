// The live feed's client: one WebSocket to /ws/monitoring/:system_id with the key as a subprotocol (a browser
// cannot set headers on an upgrade, and a query string would put the key in URLs), reconnection with
// exponential backoff and jitter after the socket closes (an API restart, a network change), and a stale state
// when no message came for longer than the feed's refresh period (its snapshots come every 60 s).
import { api } from "./api.ts";
import { retryDelayMs } from "./backoff.ts";
import type { FeedMessage } from "./types.ts";

export type FeedState =
  | { kind: "connecting" }
  | { kind: "live" }
  /** Connected, but nothing arrived since `since`: the server's snapshots come every 60 s. */
  | { kind: "stale"; since: number }
  /** Disconnected; `retryAt` is when the next attempt starts, null while one is under way. */
  | { kind: "offline"; retryAt: number | null };

export interface FeedHandlers {
  message: (m: FeedMessage) => void;
  state: (s: FeedState) => void;
}

export const STALE_AFTER_MS = 75_000;

export class LiveFeed {
  #socket: WebSocket | undefined;
  #attempt = 0;
  #everOpen = false;
  #lastMessageAt = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #stale: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  readonly #reconnectNow = () => {
    if (this.#retry === undefined) return;
    clearTimeout(this.#retry);
    this.#connect();
  };

  constructor(
    private readonly url: string,
    private readonly key: string,
    private readonly on: FeedHandlers,
  ) {}

  start(): void {
    window.addEventListener("online", this.#reconnectNow);
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    window.removeEventListener("online", this.#reconnectNow);
    clearTimeout(this.#retry);
    clearTimeout(this.#stale);
    this.#socket?.close(1000);
  }

  #connect(): void {
    this.#retry = undefined;
    this.on.state(
      this.#attempt === 0 && !this.#everOpen ? { kind: "connecting" } : { kind: "offline", retryAt: null },
    );
    const socket = new WebSocket(this.url, ["wattline.v1", this.key]);
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.#everOpen = true;
      this.#attempt = 0;
      this.#watch();
    };
    // Live from the first message (the snapshot) on, not from the open: the figures are fresh then.
    socket.onmessage = (event) => {
      this.#watch();
      this.on.message(JSON.parse(String(event.data)) as FeedMessage);
      this.on.state({ kind: "live" });
    };
    socket.onclose = () => {
      if (this.#stopped) return;
      clearTimeout(this.#stale);
      // Refused before the upgrade: a revoked key makes the API answer 401, which signs the app out.
      if (!opened) api("/api/v1/session").catch(() => {});
      const wait = retryDelayMs(this.#attempt++);
      this.on.state({ kind: "offline", retryAt: Date.now() + wait });
      this.#retry = setTimeout(() => this.#connect(), wait);
    };
    this.#socket = socket;
  }

  /** Starts the silence over: stale after STALE_AFTER_MS without a message, replaced after twice that. */
  #watch(): void {
    this.#lastMessageAt = Date.now();
    clearTimeout(this.#stale);
    this.#stale = setTimeout(() => {
      this.on.state({ kind: "stale", since: this.#lastMessageAt });
      // Still nothing after as long again: the connection is likely half-open (no close ever comes); a new one
      // starts with the close.
      this.#stale = setTimeout(() => this.#socket?.close(4000, "stale"), STALE_AFTER_MS);
    }, STALE_AFTER_MS);
  }
}
