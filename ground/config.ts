// One typed view of the environment. Defaults point at the local stack; setting a URL points at an external service.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

const envSchema = z.object({
  WATTLINE_STATE_DIR: z.string().min(1).default(join(repoRoot, ".wattline")),
  WATTLINE_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  WATTLINE_KAFKA_PORT: port(19092),
  WATTLINE_KAFKA_CONTROLLER_PORT: port(19093),
  WATTLINE_KAFKA_NODES: z.coerce.number().int().min(1).max(9).default(1),
  WATTLINE_QUESTDB_HTTP_PORT: port(19000),
  WATTLINE_QUESTDB_PG_PORT: port(18812),
  WATTLINE_QUESTDB_MIN_HTTP_PORT: port(19003),
  WATTLINE_POSTGRES_PORT: port(15432),
  WATTLINE_MQTT_PORT: port(11883),
  WATTLINE_API_PORT: port(8080),
  WATTLINE_KAFKA_BROKERS: z.string().min(1).optional(),
  WATTLINE_KAFKA_CLIENT_ID: z.string().min(1).default("wattline"),
  WATTLINE_QUESTDB_HTTP_URL: z.url().optional(),
  WATTLINE_QUESTDB_PG_URL: z.url().optional(),
  WATTLINE_QUESTDB_USER: z.string().min(1).optional(),
  WATTLINE_QUESTDB_PASSWORD: z.string().min(1).optional(),
  WATTLINE_POSTGRES_URL: z.url().optional(),
  WATTLINE_MQTT_URL: z.url().optional(),
  WATTLINE_MQTT_USERNAME: z.string().min(1).optional(),
  WATTLINE_MQTT_PASSWORD: z.string().min(1).optional(),
  WATTLINE_MQTT_CLIENT_ID: z.string().min(1).default("wattline-mqtt-connector"),
  WATTLINE_MQTT_ROUTES_FILE: z.string().min(1).optional(),
  WATTLINE_MQTT_MAX_PAYLOAD_BYTES: z.coerce.number().int().positive().default(65_536),
  WATTLINE_MAX_FUTURE_MS: z.coerce.number().int().min(0).default(3_600_000),
  WATTLINE_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, "letters, digits, '.', '_' and '-' only")
    .default(""),
  WATTLINE_KAFKA_PARTITIONS: z.coerce.number().int().positive().default(6),
  WATTLINE_KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).optional(),
  WATTLINE_KAFKA_RETENTION_MS: z.coerce.number().int().min(-1).default(-1),
  // A connector has one send in flight: under load its sends carry what queued meanwhile, and on a busy machine
  // each one waits for CPU, so 2,000 records per send held the MQTT connector near 20,000 readings/s (bench/e2e).
  WATTLINE_KAFKA_BATCH_MAX: z.coerce.number().int().positive().default(8000),
  WATTLINE_KAFKA_LINGER_MS: z.coerce.number().int().min(0).default(5),
  WATTLINE_CHECKPOINT_MS: z.coerce.number().int().min(10).default(1000),
  WATTLINE_STATE_WRITE_MS: z.coerce.number().int().min(0).default(10_000),
  WATTLINE_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  WATTLINE_LEDGER_GROUP: z.string().min(1).default("wattline-ledger"),
  WATTLINE_ALLOWED_LATENESS_MS: z.coerce.number().int().min(0).default(120_000),
  WATTLINE_RECALC_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(30_000),
  WATTLINE_RECALC_SNAPSHOT_MS: z.coerce.number().int().min(0).default(43_200_000),
  WATTLINE_SILENT_FLUSH_MS: z.coerce.number().int().min(1000).default(600_000),
  WATTLINE_ROLLUP_WRITE_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  WATTLINE_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  WATTLINE_API_RATE_LIMIT_PER_S: z.coerce.number().min(0).default(20),
  WATTLINE_API_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(60),
  WATTLINE_API_ANON_RATE_LIMIT_PER_S: z.coerce.number().min(0).default(5),
  WATTLINE_API_ANON_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(20),
  WATTLINE_API_SOC_MAX_AGE_S: z.coerce.number().int().min(0).default(900),
  WATTLINE_API_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  WATTLINE_API_GROUP_ROWS_POLL_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  WATTLINE_WS_COALESCE_MS: z.coerce.number().int().min(0).max(5000).default(50),
  WATTLINE_HOPECLOUD_URL: z.url().optional(),
  WATTLINE_HOPECLOUD_SIMULATOR_PORT: port(18088),
  WATTLINE_HOPECLOUD_APP_KEY: z.string().min(1).optional(),
  WATTLINE_HOPECLOUD_APP_SECRET: z.string().min(1).optional(),
  WATTLINE_HOPECLOUD_POLL_CRON: z.string().min(1).default("*/5 * * * *"),
  WATTLINE_HOPECLOUD_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  WATTLINE_HOPECLOUD_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(4),
  WATTLINE_HOPECLOUD_REQUESTS_PER_S: z.coerce.number().positive().default(5),
  WATTLINE_HOPECLOUD_PAGE_SIZE: z.coerce.number().int().min(1).max(500).default(100),
  WATTLINE_STATUS_GROUP_ID: z.string().min(1).default("wattline-status"),
  WATTLINE_STATUS_SWEEP_MS: z.coerce.number().int().positive().default(5000),
  WATTLINE_STATUS_GROUP_MS: z.coerce.number().int().min(0).max(5000).default(250),
  WATTLINE_CHARGING_GROUP_ID: z.string().min(1).default("wattline-charging"),
  WATTLINE_CHARGING_DEBOUNCE_MS: z.coerce.number().int().positive().default(2000),
  WATTLINE_RECONCILE_CRON: z.string().min(1).default("0 2 * * *"),
  WATTLINE_RECONCILE_TZ: z.string().min(1).default("UTC"),
  WATTLINE_RECONCILE_SILENT_INTERVALS: z.coerce.number().int().positive().default(10),
});

export type Env = z.infer<typeof envSchema>;

/** Credentials that `stack up` generated for the local services; used only when the environment names none. */
export interface StackSecrets {
  postgresPassword: string;
  questdbPassword: string;
  mqttUsername: string;
  mqttPassword: string;
}

export interface Config {
  env: Env;
  stateDir: string;
  logLevel: Env["WATTLINE_LOG_LEVEL"];
  kafka: {
    brokers: string[];
    clientId: string;
    partitions: number;
    /** Of the topics Wattline creates; -1 leaves it to the cluster's `default.replication.factor`. */
    replicationFactor: number;
    retentionMs: number;
    batchMax: number;
    lingerMs: number;
  };
  questdb: { httpUrl: string; pgUrl: string; user: string; password: string };
  postgres: { url: string };
  mqtt: {
    url: string;
    username: string;
    password: string;
    clientId: string;
    routesFile: string | undefined;
    maxPayloadBytes: number;
  };
  /** Device timestamps the connectors and the ledger accept: none before 2000, none more than this after receipt. */
  ingest: { maxFutureMs: number };
  metrics: { port: number };
  /** Stream processors' runtime: how often each partition checkpoints (state, queued records, offsets). */
  runtime: {
    checkpointMs: number;
    /** How old a state change the input re-derives gets before a checkpoint writes it (StateStore.putLazy). */
    stateWriteMs: number;
    /** How long the group waits for a silent member (a crashed instance) before its partitions move. */
    sessionTimeoutMs: number;
  };
  ledger: {
    groupId: string;
    allowedLatenessMs: number;
    recalcMinIntervalMs: number;
    /** Event time between two snapshots of a device's state that recalculations start from (0: none kept). */
    recalcSnapshotMs: number;
    silentFlushMs: number;
    /** The least time between two writes of a device's hourly and daily rows (0: at every checkpoint). */
    rollupWriteMs: number;
  };
  api: {
    port: number;
    /** Token bucket per API key: sustained requests per second (0: no limit) and burst size. */
    rateLimit: { ratePerSecond: number; burst: number };
    /** The same per client address, for requests without a valid key (/health, unknown keys). */
    anonymousRateLimit: { ratePerSecond: number; burst: number };
    /** A stored SOC older than this speaks for no one in the /now views (0: any age). */
    socMaxAgeS: number;
    /** How long verified API keys and energy groups' device ids are reused before the registry is read again (0: never). */
    cacheTtlMs: number;
    /** How often the group views' version is read; answers from them are kept until it moves (0: none kept). */
    groupRowsPollMs: number;
    /** A system's feed records within this window go to its WebSocket clients as one update. */
    wsCoalesceMs: number;
  };
  hopecloud: {
    url: string;
    simulatorPort: number;
    /** Undefined when WATTLINE_HOPECLOUD_URL names a real cloud and the environment gives no credentials. */
    appKey: string | undefined;
    appSecret: string | undefined;
    pollCron: string;
    timeoutMs: number;
    maxRetries: number;
    requestsPerSecond: number;
    pageSize: number;
  };
  processors: {
    /** groupMs: the least time between two units of work (group commits) of one instance. */
    status: { groupId: string; sweepMs: number; groupMs: number };
    charging: { groupId: string; debounceMs: number };
  };
  jobs: {
    /** The nightly reconciliation: when (cron, in `timezone`), and how many missed intervals make a device silent. */
    reconcile: { cron: string; timezone: string; silentIntervals: number };
  };
}

/** Credentials of the local HopeCloud simulator; a real cloud's come from the environment. */
export const HOPECLOUD_SIMULATOR_CREDENTIALS = { appKey: "wattline-sim", appSecret: "wattline-sim-secret" };

export class ConfigError extends Error {}

/** The local stack's Kafka nodes (WATTLINE_KAFKA_NODES): node n listens two ports above node n - 1. */
export function localKafkaNodes(env: Env): { id: number; port: number; controllerPort: number }[] {
  return Array.from({ length: env.WATTLINE_KAFKA_NODES }, (_, i) => ({
    id: i + 1,
    port: env.WATTLINE_KAFKA_PORT + 2 * i,
    controllerPort: env.WATTLINE_KAFKA_CONTROLLER_PORT + 2 * i,
  }));
}

export function secretsPath(stateDir: string): string {
  return join(stateDir, "secrets.json");
}

function readStackSecrets(stateDir: string): StackSecrets | undefined {
  const file = secretsPath(stateDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as StackSecrets) : undefined;
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const env = parsed.data;
  const stateDir = resolve(env.WATTLINE_STATE_DIR);
  const secrets = readStackSecrets(stateDir);
  const questdbUser = env.WATTLINE_QUESTDB_USER ?? "admin";
  const questdbPassword = env.WATTLINE_QUESTDB_PASSWORD ?? secrets?.questdbPassword ?? "quest";
  const pgPassword = encodeURIComponent(secrets?.postgresPassword ?? "");
  return {
    env,
    stateDir,
    logLevel: env.WATTLINE_LOG_LEVEL,
    kafka: {
      brokers:
        env.WATTLINE_KAFKA_BROKERS?.split(",").map((b) => b.trim()) ??
        localKafkaNodes(env).map((n) => `127.0.0.1:${n.port}`),
      clientId: env.WATTLINE_KAFKA_CLIENT_ID,
      partitions: env.WATTLINE_KAFKA_PARTITIONS,
      replicationFactor: env.WATTLINE_KAFKA_REPLICATION_FACTOR ?? -1,
      retentionMs: env.WATTLINE_KAFKA_RETENTION_MS,
      batchMax: env.WATTLINE_KAFKA_BATCH_MAX,
      lingerMs: env.WATTLINE_KAFKA_LINGER_MS,
    },
    questdb: {
      httpUrl: env.WATTLINE_QUESTDB_HTTP_URL ?? `http://127.0.0.1:${env.WATTLINE_QUESTDB_HTTP_PORT}`,
      pgUrl:
        env.WATTLINE_QUESTDB_PG_URL ??
        `postgres://${questdbUser}:${encodeURIComponent(questdbPassword)}@127.0.0.1:${env.WATTLINE_QUESTDB_PG_PORT}/qdb`,
      user: questdbUser,
      password: questdbPassword,
    },
    postgres: {
      url:
        env.WATTLINE_POSTGRES_URL ??
        `postgres://wattline:${pgPassword}@127.0.0.1:${env.WATTLINE_POSTGRES_PORT}/wattline`,
    },
    mqtt: {
      url: env.WATTLINE_MQTT_URL ?? `mqtt://127.0.0.1:${env.WATTLINE_MQTT_PORT}`,
      username: env.WATTLINE_MQTT_USERNAME ?? secrets?.mqttUsername ?? "wattline",
      password: env.WATTLINE_MQTT_PASSWORD ?? secrets?.mqttPassword ?? "",
      clientId: env.WATTLINE_MQTT_CLIENT_ID,
      routesFile: env.WATTLINE_MQTT_ROUTES_FILE,
      maxPayloadBytes: env.WATTLINE_MQTT_MAX_PAYLOAD_BYTES,
    },
    ingest: { maxFutureMs: env.WATTLINE_MAX_FUTURE_MS },
    metrics: { port: env.WATTLINE_METRICS_PORT },
    runtime: {
      checkpointMs: env.WATTLINE_CHECKPOINT_MS,
      stateWriteMs: env.WATTLINE_STATE_WRITE_MS,
      sessionTimeoutMs: env.WATTLINE_SESSION_TIMEOUT_MS,
    },
    ledger: {
      groupId: env.WATTLINE_LEDGER_GROUP,
      allowedLatenessMs: env.WATTLINE_ALLOWED_LATENESS_MS,
      recalcMinIntervalMs: env.WATTLINE_RECALC_MIN_INTERVAL_MS,
      recalcSnapshotMs: env.WATTLINE_RECALC_SNAPSHOT_MS,
      silentFlushMs: env.WATTLINE_SILENT_FLUSH_MS,
      rollupWriteMs: env.WATTLINE_ROLLUP_WRITE_MS,
    },
    api: {
      port: env.WATTLINE_API_PORT,
      rateLimit: {
        ratePerSecond: env.WATTLINE_API_RATE_LIMIT_PER_S,
        burst: env.WATTLINE_API_RATE_LIMIT_BURST,
      },
      anonymousRateLimit: {
        ratePerSecond: env.WATTLINE_API_ANON_RATE_LIMIT_PER_S,
        burst: env.WATTLINE_API_ANON_RATE_LIMIT_BURST,
      },
      socMaxAgeS: env.WATTLINE_API_SOC_MAX_AGE_S,
      cacheTtlMs: env.WATTLINE_API_CACHE_TTL_MS,
      groupRowsPollMs: env.WATTLINE_API_GROUP_ROWS_POLL_MS,
      wsCoalesceMs: env.WATTLINE_WS_COALESCE_MS,
    },
    hopecloud: hopecloudConfig(env),
    processors: {
      status: {
        groupId: env.WATTLINE_STATUS_GROUP_ID,
        sweepMs: env.WATTLINE_STATUS_SWEEP_MS,
        groupMs: env.WATTLINE_STATUS_GROUP_MS,
      },
      charging: { groupId: env.WATTLINE_CHARGING_GROUP_ID, debounceMs: env.WATTLINE_CHARGING_DEBOUNCE_MS },
    },
    jobs: {
      reconcile: {
        cron: env.WATTLINE_RECONCILE_CRON,
        timezone: env.WATTLINE_RECONCILE_TZ,
        silentIntervals: env.WATTLINE_RECONCILE_SILENT_INTERVALS,
      },
    },
  };
}

function hopecloudConfig(env: Env): Config["hopecloud"] {
  // The simulator's credentials are a default only while the URL is the local simulator's.
  const local = env.WATTLINE_HOPECLOUD_URL === undefined ? HOPECLOUD_SIMULATOR_CREDENTIALS : undefined;
  return {
    url: env.WATTLINE_HOPECLOUD_URL ?? `http://127.0.0.1:${env.WATTLINE_HOPECLOUD_SIMULATOR_PORT}`,
    simulatorPort: env.WATTLINE_HOPECLOUD_SIMULATOR_PORT,
    appKey: env.WATTLINE_HOPECLOUD_APP_KEY ?? local?.appKey,
    appSecret: env.WATTLINE_HOPECLOUD_APP_SECRET ?? local?.appSecret,
    pollCron: env.WATTLINE_HOPECLOUD_POLL_CRON,
    timeoutMs: env.WATTLINE_HOPECLOUD_TIMEOUT_MS,
    maxRetries: env.WATTLINE_HOPECLOUD_MAX_RETRIES,
    requestsPerSecond: env.WATTLINE_HOPECLOUD_REQUESTS_PER_S,
    pageSize: env.WATTLINE_HOPECLOUD_PAGE_SIZE,
  };
}
