// Issue 11: faults survived with nothing lost. A stack of its own with a three-node Kafka cluster, the components that
// carry readings (MQTT connector, ledger and status processors, API) under the supervisor of `wattline start`, and
// devices publishing QoS 1 readings. One at a time, each followed by recovery: a Kafka broker of three, QuestDB,
// Postgres and Mosquitto are stopped and started again, and each component is killed with SIGKILL (the supervisor
// starts it again). Then every reading Mosquitto acknowledged is in QuestDB's `readings` exactly once, and the
// hourly and daily rows equal `wattline compute` on what reached Kafka. It prints what it did and what it counted.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { stackPaths } from "../../../deploy/stack/paths.ts";
import { postgres } from "../../../deploy/stack/postgres.ts";
import { stopPid } from "../../../deploy/stack/processes.ts";
import { Supervisor } from "../../../deploy/supervisor.ts";
import { type Config, loadConfig } from "../../../ground/config.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { topicNames } from "../../../ground/topics.ts";
import { readTopic } from "../../../pipelines/runtime/read-topic.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import type { TelemetryReading } from "../../../schemas/generated/types.ts";
import { type AckedPublisher, publishAcked, type Reading } from "../../support/acked-publisher.ts";
import { computeRows, type Fixture, registerFixture, waitForRows } from "../../support/ledger.ts";
import { FAST } from "../../support/ledger-device.ts";
import { ownStack, wattlineBin } from "../../support/own-stack.ts";

const DEVICES = 6;
const INTERVAL_MS = 500;
const DOWN_MS = 2000;
const COMPONENTS = ["mqtt-connector", "ledger", "status", "api"] as const;
const ARGS: Record<(typeof COMPONENTS)[number], string[]> = {
  "mqtt-connector": ["connect", "mqtt"],
  ledger: ["process", "ledger"],
  status: ["process", "status"],
  api: ["api"],
};

const began = Date.now();
// Two partitions and a checkpoint every 2 s: fewer Kafka transactions and QuestDB commits, which keeps the run short
// on a small machine that also runs three Kafka nodes.
const stack = await ownStack("faults", {
  WATTLINE_KAFKA_NODES: "3",
  WATTLINE_KAFKA_PARTITIONS: "2",
  WATTLINE_CHECKPOINT_MS: "2000",
  // A killed processor's partitions move after 10 s rather than 30 s.
  WATTLINE_SESSION_TIMEOUT_MS: "10000",
  WATTLINE_LOG_LEVEL: "warn",
  ...FAST,
});
// Inside the stack's folder: whoever removes that (the test, or the watchdog) removes this too.
const dir = join(stack.stateDir, "fixture");
mkdirSync(dir);
const logLines: string[] = [];
let supervisor: Supervisor | undefined;
let publisher: AckedPublisher | undefined;
const pools: pg.Pool[] = [];

after(async () => {
  await publisher?.stop(0).catch(() => {});
  await supervisor?.stop();
  await Promise.all(pools.map((p) => p.end()));
  await stack.down();
});

const say = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const key = (device: string, ts: Date | string) => `${device} ${new Date(ts).toISOString()}`;
/** When each fault began, so that a reading found missing can be placed in the fault it was published during. */
const timeline: [number, string][] = [[0, "start"]];
const during = (k: string) => {
  const ms = Date.parse(k.slice(k.indexOf(" ") + 1));
  return timeline.filter(([at]) => at <= ms).at(-1)?.[1] ?? "start";
};

function fixture(): Fixture {
  const devices = Array.from({ length: DEVICES }, (_, i) => ({
    device_id: `fault-meter-${i + 1}`,
    site_id: "fault-site",
    kind: "meter",
    timezone: "Europe/Berlin",
    max_power_w: null,
    noise_wh: 0,
    counter_persists_across_boot: true,
    expected_interval_s: 5,
  }));
  const devicesFile = join(dir, "devices.json");
  writeFileSync(devicesFile, JSON.stringify(devices));
  return { dir, prefix: "", capture: "", readings: join(dir, "readings.ndjson"), devicesFile, devices };
}

async function storedKeys(questdb: pg.Pool): Promise<string[]> {
  const { rows } = await questdb.query<{ device_id: string; ts: Date }>("SELECT device_id, ts FROM readings");
  return rows.map((r) => key(r.device_id, r.ts));
}

/** Waits until every reading acknowledged so far is stored; the readings acknowledged and stored then. */
async function recovered(questdb: pg.Pool, config: Config, fx: Fixture, timeoutMs = 120_000) {
  const acked = publisher?.acked.map((r) => key(r.device_id, r.ts)) ?? [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = new Set(await storedKeys(questdb).catch(() => []));
    const missing = acked.filter((k) => !stored.has(k));
    if (missing.length === 0) return { acked: acked.length, stored: stored.size };
    if (Date.now() > deadline) {
      const onKafka = (await captured(config, fx)).keys;
      const counts = new Map<string, number>();
      for (const k of missing) counts.set(during(k), (counts.get(during(k)) ?? 0) + 1);
      const byFault = [...counts].map(([fault, n]) => `${fault}: ${n}`);
      assert.fail(
        `${missing.length} acknowledged readings not stored (${missing.filter((k) => onKafka.has(k)).length} of ` +
          `them on Kafka; published during ${byFault.join(", ")}), e.g. ${missing.slice(0, 3).join("; ")}`,
      );
    }
    await sleep(500);
  }
}

/** Every partition of the telemetry topic has its three replicas in sync again. */
async function inSync(config: Config): Promise<void> {
  const admin = createKafka(config, "faults-test").admin();
  await admin.connect();
  try {
    for (;;) {
      const meta = await admin
        .fetchTopicMetadata({ topics: [topicNames("").telemetry] })
        .catch(() => undefined);
      if (meta?.topics[0]?.partitions.every((p) => p.isr.length === 3)) return;
      await sleep(500);
    }
  } finally {
    await admin.disconnect();
  }
}

/** What reached Kafka for the test's devices, as `wattline compute` input, and how many were there twice. */
async function captured(config: Config, fx: Fixture) {
  const store = schemaStore();
  const lines: string[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  await readTopic(createKafka(config, "faults-capture"), topicNames("").telemetry, {
    onBatch: (_p, messages) => {
      for (const m of messages) {
        if (!m.value || !m.key?.toString().startsWith("fault-meter-")) continue;
        const decoded = store.decode(m.value);
        if (decoded.name !== "TelemetryReading") continue;
        const r = decoded.record as TelemetryReading;
        const k = key(r.device_id, new Date(r.ts));
        if (seen.has(k)) duplicates++;
        seen.add(k);
        const { device_id, energy_wh_total, boot_id, seq } = r;
        lines.push(
          JSON.stringify({ device_id, ts: new Date(r.ts).toISOString(), energy_wh_total, boot_id, seq }),
        );
      }
    },
  });
  writeFileSync(fx.readings, `${lines.join("\n")}\n`);
  return { records: lines.length, duplicates, keys: seen };
}

test("a broker of three, QuestDB, Postgres, Mosquitto and every component fail in turn: nothing lost", async () => {
  try {
    await faults();
  } catch (err) {
    say(`the components' last log lines:\n${logLines.slice(-40).join("")}`);
    throw err;
  }
});

async function faults(): Promise<void> {
  await stack.up();
  say(`stack up (Kafka ×3, QuestDB, Postgres, Mosquitto) in ${seconds(Date.now() - began)}`);
  await stack.wattline(["db", "migrate"]);
  const config = loadConfig(stack.env);
  const paths = stackPaths(stack.stateDir);
  const pool = postgresPool(config, 2);
  const questdb = questdbPool(config, 2);
  pools.push(pool, questdb);
  // Their idle connections break when Postgres or QuestDB stops: the next query opens another.
  for (const p of pools) p.on("error", () => {});
  const fx = fixture();
  await registerFixture(pool, fx);

  let gaveUp: string | undefined;
  supervisor = new Supervisor(
    COMPONENTS.map((name) => ({
      name,
      command: process.execPath,
      args: [wattlineBin, ...ARGS[name]],
      env: stack.env,
    })),
    {
      settleMs: 3000,
      write: (text) => {
        logLines.push(text);
        if (logLines.length > 200) logLines.shift();
      },
    },
  );
  void supervisor.done.then(({ failed }) => {
    gaveUp = failed && `${failed.reason}\n${failed.lastLines.join("\n")}`;
  });
  while (supervisor.waiting().length > 0) {
    assert.equal(gaveUp, undefined);
    await sleep(250);
  }
  say(`components ready at ${seconds(Date.now() - began)}: ${COMPONENTS.join(", ")}`);

  publisher = await publishAcked(
    config.mqtt,
    fx.devices.map((d) => d.device_id),
    INTERVAL_MS,
  );
  await sleep(3000);
  await recovered(questdb, config, fx);

  const service = (name: string) => async () => {
    const stopping = Date.now();
    await stopPid(paths.pid(name), undefined, name === postgres.name ? postgres.stopSignal : undefined);
    say(`  ${name} stopped in ${seconds(Date.now() - stopping)}`);
    await sleep(DOWN_MS);
    await stack.up();
    if (name.startsWith("kafka")) await inSync(config);
  };
  const component = (name: (typeof COMPONENTS)[number]) => async () => {
    const pid = supervisor?.pids()[name] as number;
    process.kill(pid, "SIGKILL");
    while (supervisor?.pids()[name] === pid || supervisor?.waiting().includes(name)) await sleep(100);
  };
  const plan: [string, () => Promise<void>][] = [
    ["stop QuestDB", service("questdb")],
    ["stop Postgres", service("postgres")],
    ["stop Mosquitto", service("mosquitto")],
    ...COMPONENTS.map((name): [string, () => Promise<void>] => [`SIGKILL ${name}`, component(name)]),
    ["stop Kafka node 2 of 3", service("kafka-2")],
  ];
  say("fault                       back after  all acked stored after  acked  stored");
  for (const [name, inject] of plan) {
    const start = Date.now();
    timeline.push([start, name]);
    await inject();
    const back = Date.now() - start;
    const counts = await recovered(questdb, config, fx);
    assert.equal(gaveUp, undefined, `the supervisor gave up: ${gaveUp}`);
    say(
      `${name.padEnd(28)}${seconds(back).padStart(10)}  ${seconds(Date.now() - start).padStart(22)}  ${String(counts.acked).padStart(5)}  ${String(counts.stored).padStart(6)}`,
    );
  }

  await publisher.stop();
  const final = await recovered(questdb, config, fx);
  const stored = await storedKeys(questdb);
  const sent = new Set(publisher.sent.map((r: Reading) => key(r.device_id, r.ts)));
  assert.equal(new Set(stored).size, stored.length, "no reading stored twice");
  assert.deepEqual(
    stored.filter((k) => !sent.has(k)),
    [],
    "nothing stored that was not sent",
  );
  const kafka = await captured(config, fx);
  const expected = await computeRows(fx);
  const rows = await waitForRows(questdb, fx, expected, 60_000);
  assert.deepEqual(rows, expected, "hourly and daily rows = wattline compute on what reached Kafka");
  assert.equal(gaveUp, undefined);
  const restarts = COMPONENTS.map((c) => `${c} ${supervisor?.restarts(c)}`).join(", ");
  say(
    `sent ${publisher.sent.length}, acked ${final.acked}, on Kafka ${kafka.records} (${kafka.duplicates} twice), ` +
      `stored ${stored.length} once each; ${expected.hourly.length} hourly and ${expected.daily.length} daily rows = compute`,
  );
  say(`restarts: ${restarts}; total ${seconds(Date.now() - began)}`);
}
