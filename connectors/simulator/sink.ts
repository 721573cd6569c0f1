// Where messages go: an MQTT broker or NDJSON lines. The run loop awaits `send` only when it returns a promise,
// which a sink does when the caller must slow down.
import type { Message } from "./messages.ts";

export interface Sink {
  send(message: Message): undefined | Promise<void>;
  /** Delivers what was sent and lets go of the output. */
  close(): Promise<void>;
}
