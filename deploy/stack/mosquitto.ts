// Mosquitto from Debian's packages with its own config and port; a generated username and password are required.
// Queues are large and persisted so that a QoS 1 subscriber with a persistent session loses nothing while it is down,
// and the MQTT connector's session is created as soon as the broker runs: a reading published before the connector
// first subscribed waits for it instead of being acknowledged to no one.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { loadRoutes } from "../../connectors/mqtt/routes.ts";
import { connectorFilters, createConnectorSession } from "../../connectors/mqtt/session.ts";
import { which } from "./install.ts";
import type { Service, StackContext } from "./service.ts";

const dirs = (ctx: StackContext) => {
  const root = ctx.paths.service("mosquitto");
  return { root, data: join(root, "data"), conf: join(root, "mosquitto.conf"), passwd: join(root, "passwd") };
};

/** Whether this start's broker had saved state (sessions, queues) from an earlier run. */
const restarted = new WeakMap<StackContext, boolean>();

export const mosquitto: Service = {
  name: "mosquitto",
  startTimeoutMs: 30_000,
  externalUrl: (ctx) => ctx.config.env.WATTLINE_MQTT_URL,
  missingPackages: () => (mosquittoBin("mosquitto") && mosquittoBin("mosquitto_passwd") ? [] : ["mosquitto"]),
  url: (ctx) => ctx.config.mqtt.url,
  ports: (ctx) => [[ctx.config.env.WATTLINE_MQTT_PORT, "WATTLINE_MQTT_PORT"]],
  async prepare(ctx) {
    const d = dirs(ctx);
    mkdirSync(d.data, { recursive: true });
    restarted.set(ctx, existsSync(join(d.data, "mosquitto.db")));
    execFileSync(required("mosquitto_passwd"), [
      "-b",
      "-c",
      d.passwd,
      ctx.secrets.mqttUsername,
      ctx.secrets.mqttPassword,
    ]);
    const conf = [
      "per_listener_settings false",
      `listener ${ctx.config.env.WATTLINE_MQTT_PORT} 127.0.0.1`,
      "allow_anonymous false",
      `password_file ${d.passwd}`,
      "persistence true",
      `persistence_location ${d.data}/`,
      "autosave_interval 5",
      "max_queued_messages 1000000",
      // The connector acknowledges a message only once Kafka has its record, so this window over a Kafka round trip
      // bounds its rate (bench/ingest: 0.51 of the bare pipe at 1,000, 0.86–0.97 at 20,000).
      "max_inflight_messages 20000",
      "message_size_limit 1048576",
      "log_dest stdout",
      "log_type error",
      "log_type warning",
      "log_type notice",
      // As root, Mosquitto would switch to the `mosquitto` user, which cannot read a private state folder.
      ...(process.getuid?.() === 0 ? ["user root"] : []),
      "",
    ];
    writeFileSync(d.conf, conf.join("\n"));
  },
  command(ctx) {
    return { command: required("mosquitto"), args: ["-c", dirs(ctx).conf] };
  },
  async afterStart(ctx) {
    // A broker with saved state has the session already. Taking it over would disconnect a running connector and hand
    // the messages queued for it to a client that acknowledges them and leaves: they would be lost.
    if (restarted.get(ctx)) return;
    const { url, clientId, routesFile } = ctx.config.mqtt;
    const owner = { url, clientId, username: ctx.secrets.mqttUsername, password: ctx.secrets.mqttPassword };
    await createConnectorSession(owner, connectorFilters(loadRoutes(routesFile)));
    ctx.log(`mosquitto: session ${clientId} created; the broker queues the connector's messages from now on`);
  },
  async healthy(ctx) {
    const client = await mqtt.connectAsync(ctx.config.mqtt.url, {
      username: ctx.secrets.mqttUsername,
      password: ctx.secrets.mqttPassword,
      connectTimeout: 2000,
      reconnectPeriod: 0,
    });
    await client.endAsync();
    return true;
  },
};

/** Debian puts the broker in /usr/sbin, which a non-root PATH often lacks. */
function mosquittoBin(name: string): string | undefined {
  return (
    which(name) ?? ["/usr/sbin", "/usr/bin"].map((dir) => join(dir, name)).find((path) => existsSync(path))
  );
}

function required(name: string): string {
  const bin = mosquittoBin(name);
  if (!bin) throw new Error(`${name} not found: apt-get install mosquitto`);
  return bin;
}
