// The live feed's parts for one API process: the WebSocket server (upgrades arrive through the Hono app, so the
// API key, rate limit and logging apply before any upgrade), the monitor, the Kafka feed and the producer of
// admins' broadcasts; one stop for all.
// The feed starts in the background and retries, so that the API serves everything else while Kafka is away.
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { WebSocketServer } from "ws";
import type { Config } from "../../ground/config.ts";
import type { Kafka } from "../../ground/kafka.ts";
import type { Logger } from "../../ground/logger.ts";
import { WS_PROTOCOL } from "../auth/credential.ts";
import { BroadcastProducer } from "./broadcast-producer.ts";
import { type LiveFeed, startFeed } from "./feed.ts";
import { LiveMonitor, type MonitorOptions } from "./monitor.ts";

/** Clients only answer pings; anything larger than this from them is a protocol error. */
const MAX_CLIENT_MESSAGE_BYTES = 4096;
const FEED_RETRY_MS = 5000;

export interface LiveMonitoring {
  monitor: LiveMonitor;
  /** Where the broadcast route publishes; every instance's feed delivers what it reads. */
  broadcasts: BroadcastProducer;
  /** For @hono/node-server's `serve({ websocket: { server } })`. */
  wss: WebSocketServer;
  /** Resolves once the feed reads the live topics (records produced from then on reach clients). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function startLiveMonitoring(
  deps: { kafka: Kafka; config: Config; postgres: pg.Pool; questdb: pg.Pool; logger: Logger },
  options: Partial<MonitorOptions> = {},
): LiveMonitoring {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    // A browser that sent its key as a subprotocol offered WS_PROTOCOL too; the key is never echoed back.
    handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  const monitor = new LiveMonitor(deps, options);
  monitor.start();
  const broadcasts = new BroadcastProducer(deps.kafka, deps.config);
  let stopped = false;
  let feed: LiveFeed | undefined;
  const ready = (async () => {
    while (!stopped) {
      try {
        const started = await startFeed(deps.kafka, deps.config, monitor, deps.logger, monitor.instance.id);
        if (stopped) return started.stop();
        feed = started;
        monitor.feed = started;
        return started.ready;
      } catch (err) {
        deps.logger.warn({ err }, `live feed: Kafka unavailable, retrying in ${FEED_RETRY_MS / 1000} s`);
        await sleep(FEED_RETRY_MS);
      }
    }
  })();
  return {
    monitor,
    broadcasts,
    wss,
    ready,
    async stop() {
      stopped = true;
      await monitor.stop();
      await broadcasts.stop();
      await feed?.stop();
      wss.close();
    },
  };
}
