// The ledger processor as several instances of one consumer group, black-box: child processes that come, go, are
// paused past the session timeout or killed -9, and QuestDB's rows compared with `wattline compute` on the same
// input. Every test ends with the batch's rows; every child process is gone when a test ends, however it ends.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type Admin, createKafka } from "../../../ground/kafka.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { questdbPool } from "../../../ground/questdb.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import {
  computeRows,
  config,
  type EnergyRows,
  type Fixture,
  fixtureEnv,
  makeFixture,
  registerFixture,
  storedRows,
  unregisterFixture,
  waitForRows,
} from "../../support/ledger.ts";
import { deleteGroup } from "../../support/processors.ts";

const pool = postgresPool(config, 2);
const questdb = questdbPool(config, 2);
let admin: Admin;

/** Every child process a test started and that has not exited yet. */
const live = new Set<ChildProcess>();

before(async () => {
  await migrate(config);
  admin = createKafka(config, "instances-test-admin").admin();
  await admin.connect();
});
after(async () => {
  await killAll();
  await admin.disconnect();
  await Promise.all([pool.end(), questdb.end()]);
});
// The last resort (a runner forcing its exit, or interrupted): no processor outlives this process, paused or not.
function killAllNow(): void {
  for (const child of live) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
}
process.on("exit", killAllNow);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    killAllNow();
    process.exit(130);
  });

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Resolves when `child` exits (at once if it has), or with "timeout" after `ms`. */
function exitOf(child: ChildProcess, ms = Number.POSITIVE_INFINITY): Promise<"exited" | "timeout"> {
  if (exited(child)) return Promise.resolve("exited");
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(() => resolve("timeout"), ms) : undefined;
    child.once("exit", () => {
      clearTimeout(timer);
      resolve("exited");
    });
  });
}

/** Kills every child still running: SIGCONT first (a stopped process), then SIGKILL. */
async function killAll(): Promise<void> {
  const children = [...live];
  for (const child of children) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
  await Promise.all(children.map((c) => exitOf(c, 10_000)));
}

let instances = 0;

/**
 * A ledger processor of the fixture's group (startProcessor's command and environment), tracked; its output goes
 * to a log file in the fixture's directory (WATTLINE_TEST_PROCESSOR_LOG=info logs more than warnings).
 */
function instance(fx: Fixture, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const level = process.env.WATTLINE_TEST_PROCESSOR_LOG;
  const file = join(fx.dir, `instance-${instances++}.log`);
  const out = openSync(file, "a");
  const child = spawn("node", ["bin/wattline.js", "process", "ledger"], {
    env: { ...fixtureEnv(fx), ...env, ...(level ? { WATTLINE_LOG_LEVEL: level } : {}) },
    stdio: ["ignore", out, out],
  });
  closeSync(out);
  console.log(`instance pid ${child.pid} logs to ${file}`);
  return track(child);
}

/** SIGTERM, waiting at most `ms` for a clean exit; SIGKILL after that. Returns how it ended. */
async function terminate(child: ChildProcess, ms = 30_000): Promise<string> {
  if (exited(child)) return `had exited (${child.exitCode ?? child.signalCode})`;
  child.kill("SIGTERM");
  if ((await exitOf(child, ms)) === "exited") return `exited ${child.exitCode ?? child.signalCode}`;
  child.kill("SIGKILL");
  await exitOf(child);
  return `did not exit within ${ms} ms of SIGTERM: killed`;
}

/** Fixtures whose test has ended: nothing more is published for them. */
const ended = new WeakSet<Fixture>();

async function withFixture(
  devices: number,
  seconds: number,
  body: (fx: Fixture) => Promise<void>,
): Promise<void> {
  const fx = await makeFixture(devices, seconds);
  await registerFixture(pool, fx);
  try {
    await body(fx);
  } finally {
    // Publishing still under way (a test that failed early) stops at its next chunk, quietly.
    ended.add(fx);
    await killAll();
    await deleteGroup(fixtureEnv(fx).WATTLINE_LEDGER_GROUP as string);
    await unregisterFixture(pool, fx);
  }
}

/** The fixture's capture as lines, in publishing order. */
const captureLines = (fx: Fixture) => readFileSync(fx.capture, "utf8").trim().split("\n");

/** Replaces the fixture's capture, and its readings (what `wattline compute` reads) in the same order. */
function rewriteCapture(fx: Fixture, lines: string[]): void {
  writeFileSync(fx.capture, `${lines.join("\n")}\n`);
  const readings = lines
    .filter((l) => l.includes("/telemetry"))
    .map((l) => {
      const { topic, payload } = JSON.parse(l) as { topic: string; payload: Record<string, unknown> };
      return JSON.stringify({ device_id: topic.split("/")[1], ...payload });
    });
  writeFileSync(fx.readings, `${readings.join("\n")}\n`);
}

let chunkFiles = 0;

/** Publishes `lines` through the file connector (a tracked child process). */
async function publish(fx: Fixture, lines: string[]): Promise<void> {
  const file = join(fx.dir, `chunk-${chunkFiles++}.ndjson`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  const child = track(
    spawn("node", ["bin/wattline.js", "connect", "file", file], {
      env: fixtureEnv(fx),
      stdio: ["ignore", "ignore", "inherit"],
    }),
  );
  await exitOf(child);
  if (!ended.has(fx)) assert.equal(child.exitCode, 0, `the file connector failed on ${file}`);
}

/** Publishes `lines` in `chunks` consecutive parts with a pause between two (ms): input that keeps arriving. */
async function publishInChunks(
  fx: Fixture,
  lines: string[],
  chunks: number,
  pause: number | (() => number),
): Promise<void> {
  const size = Math.ceil(lines.length / chunks);
  for (let i = 0; i < lines.length && !ended.has(fx); i += size) {
    if (i > 0) await sleep(typeof pause === "number" ? pause : pause());
    if (!ended.has(fx)) await publish(fx, lines.slice(i, i + size));
  }
}

interface GroupView {
  state: string;
  members: number;
  /** The members' ids: a restarted instance joins under a new one. */
  ids: string[];
}

async function describeGroup(groupId: string): Promise<GroupView> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  const ids = group?.members.map((m) => m.memberId) ?? [];
  return { state: group?.state ?? "Unknown", members: ids.length, ids };
}

/** Polls the group until `done` holds (returns the view) or the timeout (returns undefined). */
async function waitForGroup(
  groupId: string,
  done: (g: GroupView) => boolean,
  timeoutMs: number,
): Promise<GroupView | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const view = await describeGroup(groupId).catch(() => undefined);
    if (view !== undefined && done(view)) return view;
    await sleep(250);
  }
  return undefined;
}

/** Polls QuestDB until the fixture has at least `hours` reported hour rows. */
async function waitForSomeRows(fx: Fixture, hours: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { hourly } = await storedRows(questdb, fx).catch(() => ({ hourly: [] }));
    if (hourly.length >= hours) return true;
    await sleep(500);
  }
  return false;
}

/** Equal rows, or a failure that says which lines differ (not the whole of both sides). */
function assertRowsEqual(stored: EnergyRows, expected: EnergyRows): void {
  const describe = (kind: keyof EnergyRows) => {
    const got = new Set(stored[kind]);
    const want = new Set(expected[kind]);
    const missing = expected[kind].filter((l) => !got.has(l));
    const extra = stored[kind].filter((l) => !want.has(l));
    if (missing.length === 0 && extra.length === 0) return "";
    return [
      `${kind}: ${stored[kind].length} stored, ${expected[kind].length} expected;`,
      ` ${missing.length} expected lines not stored, e.g.\n    ${missing.slice(0, 12).join("\n    ")}`,
      `\n  ${extra.length} stored lines not expected, e.g.\n    ${extra.slice(0, 12).join("\n    ")}`,
    ].join("");
  };
  const differences = [describe("hourly"), describe("daily")].filter((d) => d !== "");
  assert.ok(
    differences.length === 0,
    `QuestDB's rows differ from the batch's:\n  ${differences.join("\n  ")}`,
  );
}

/** Seconds since `start`, for the log of a test's phases. */
function stopwatch(label: string): (what: string) => void {
  const start = Date.now();
  return (what) => console.log(`[${label}] ${((Date.now() - start) / 1000).toFixed(1)} s: ${what}`);
}

/** A small seeded generator (mulberry32): the same disorder for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("two instances, one SIGSTOPped past the session timeout and resumed: rows equal the batch", {
  timeout: 180_000,
}, async () => {
  const log = stopwatch("sigstop");
  await withFixture(8, 6 * 3600, async (fx) => {
    const group = fixtureEnv(fx).WATTLINE_LEDGER_GROUP as string;
    const expected = await computeRows(fx);
    assert.ok(expected.hourly.length > 40 && expected.daily.length >= 8);
    const lines = captureLines(fx);
    const [split, tailFrom] = [Math.floor(lines.length * 0.25), Math.floor(lines.length * 0.9)];
    const [first, middle, tail] = [
      lines.slice(0, split),
      lines.slice(split, tailFrom),
      lines.slice(tailFrom),
    ];
    await publish(fx, first);
    log(`published ${first.length} of ${lines.length} lines; starting two instances`);
    const a = instance(fx);
    const b = instance(fx);
    const both = await waitForGroup(group, (g) => g.state === "Stable" && g.members === 2, 45_000);
    assert.ok(both, "two instances in the group");
    assert.ok(await waitForSomeRows(fx, 8, 30_000), "the instances write rows");
    log("both instances in the group, rows arriving");

    // Input keeps arriving while b is paused, and for a while after it resumes: what b fetches then is input the
    // other instance has taken in already or is taking in.
    let resumed = false;
    const publishing = publishInChunks(fx, middle, 14, () => (resumed ? 300 : 1800));
    await sleep(1500 + Math.random() * 1500);
    b.kill("SIGSTOP");
    log("instance b stopped");
    const takeover = await waitForGroup(group, (g) => g.state === "Stable" && g.members === 1, 75_000);
    log(`group after the session timeout: ${JSON.stringify(takeover ?? (await describeGroup(group)))}`);
    assert.ok(takeover, "the paused instance left the group (session timeout)");
    // Let the remaining instance restore the paused one's partitions and take in input on them.
    await sleep(3000);
    b.kill("SIGCONT");
    resumed = true;
    log("instance b resumed");
    await publishing;
    // Once b has either exited (fenced) or joined the group again, the rest of the input: whoever holds each
    // partition then must take it in.
    const settled = await waitForGroup(
      group,
      (g) => g.state === "Stable" && g.members === (exited(b) ? 1 : 2),
      30_000,
    );
    log(
      `group after b resumed: ${JSON.stringify(settled ?? (await describeGroup(group)))}; b ${exited(b) ? `exited ${b.exitCode ?? b.signalCode}` : "running"}`,
    );
    await publish(fx, tail);
    log("everything published");
    const stored = await waitForRows(questdb, fx, expected, 60_000);
    log(
      `rows ${JSON.stringify(stored) === JSON.stringify(expected) ? "equal" : "differ"}; ` +
        `a ${exited(a) ? `exited ${a.exitCode ?? a.signalCode}` : "running"}, ` +
        `b ${exited(b) ? `exited ${b.exitCode ?? b.signalCode} (fenced: acceptable)` : "running"}`,
    );
    assertRowsEqual(stored, expected);
  });
});

test("instances going 1 -> 3 -> 1 under load give the batch's rows", { timeout: 180_000 }, async () => {
  const log = stopwatch("1-3-1");
  await withFixture(10, 8 * 3600, async (fx) => {
    const group = fixtureEnv(fx).WATTLINE_LEDGER_GROUP as string;
    const expected = await computeRows(fx);
    assert.ok(expected.hourly.length > 60 && expected.daily.length >= 10);
    const lines = captureLines(fx);
    const publishing = publishInChunks(fx, lines, 10, 1500);
    log(`publishing ${lines.length} lines in 10 chunks`);
    const one = instance(fx);
    assert.ok(await waitForGroup(group, (g) => g.state === "Stable" && g.members === 1, 30_000));
    await sleep(2000);
    log("one instance working; adding two");
    const two = instance(fx);
    const three = instance(fx);
    const three_ = await waitForGroup(group, (g) => g.state === "Stable" && g.members === 3, 60_000);
    log(`group with three: ${JSON.stringify(three_ ?? (await describeGroup(group)))}`);
    assert.ok(three_, "three instances in the group");
    await sleep(3000);
    const stopped = await Promise.all([terminate(one), terminate(two)]);
    log(`stopped the first two: ${stopped.join(", ")}`);
    assert.ok(
      !exited(three),
      `the remaining instance is running (exit ${three.exitCode ?? three.signalCode})`,
    );
    await publishing;
    log("everything published");
    const stored = await waitForRows(questdb, fx, expected, 60_000);
    log(`rows ${JSON.stringify(stored) === JSON.stringify(expected) ? "equal" : "differ"}`);
    assertRowsEqual(stored, expected);
    assert.ok(!exited(three), "the remaining instance is still running");
  });
});

/**
 * Holds back a share of the readings and sends each one `min`..`max` lines later: with one reading a minute per
 * device, far past a small allowed lateness (each is late by tens of minutes to hours of event time).
 */
function disorder(lines: string[], seed: number, share: number, min: number, max: number): string[] {
  const next = random(seed);
  const keyed = lines.map((line, i) => {
    const moved = line.includes("/telemetry") && next() < share;
    return { line, key: moved ? i + min + Math.floor(next() * (max - min)) + 0.5 : i };
  });
  return keyed.sort((x, y) => x.key - y.key).map((k) => k.line);
}

/** Readings that arrive more than `latenessMs` (event time) behind their device's newest, per line index. */
function lateArrivals(lines: string[], latenessMs: number): number[] {
  const newest = new Map<string, number>();
  const late: number[] = [];
  lines.forEach((line, i) => {
    if (!line.includes("/telemetry")) return;
    const { payload } = JSON.parse(line) as { payload: { device_id: string; ts: string } };
    const ts = Date.parse(payload.ts);
    const max = newest.get(payload.device_id) ?? Number.NEGATIVE_INFINITY;
    if (ts < max - latenessMs) late.push(i);
    newest.set(payload.device_id, Math.max(max, ts));
  });
  return late;
}

test("kill -9 at random moments on input disordered far past the allowed lateness", {
  timeout: 240_000,
}, async () => {
  const log = stopwatch("kill-9-late");
  await withFixture(8, 6 * 3600, async (fx) => {
    const seed = Number(process.env.WATTLINE_TEST_SEED ?? 20250330);
    const lines = disorder(captureLines(fx), seed, 0.08, 100, 1500);
    rewriteCapture(fx, lines);
    const expected = await computeRows(fx);
    assert.ok(expected.hourly.length > 40 && expected.daily.length >= 8);
    const lateness = 2000;
    const late = lateArrivals(lines, lateness);
    // The input in three parts: the first before the first instance starts, one after each of the first two kills.
    // A killed member stays in the group until its session times out (about 30 s), so each restarted instance takes
    // the partitions only then, with a part of input waiting for it, late readings of every device among them. The
    // third kill comes after the last input: what recalculations are pending then, nothing else will bring about.
    const size = Math.ceil(lines.length / 3);
    const parts = [0, 1, 2].map((k) => lines.slice(k * size, (k + 1) * size));
    const lateInParts = parts.map((_, k) => late.filter((i) => i >= k * size && i < (k + 1) * size).length);
    assert.ok(
      lateInParts.every((n) => n > 10),
      `late readings in each part: ${lateInParts.join(", ")}`,
    );
    const env = {
      WATTLINE_ALLOWED_LATENESS_MS: String(lateness),
      WATTLINE_RECALC_MIN_INTERVAL_MS: "1000",
    };
    log(
      `${lines.length} lines (seed ${seed}), ${late.length} readings later than ${lateness} ms; ` +
        `late readings per part: ${lateInParts.join(", ")}`,
    );
    await publish(fx, parts[0] as string[]);
    let processor = instance(fx, env);
    const group = fixtureEnv(fx).WATTLINE_LEDGER_GROUP as string;
    const gone = new Set<string>();
    for (let n = 1; n <= 3; n++) {
      // Killed while it works: once it is the group's only member (not a killed one whose session has not timed
      // out yet), a random moment into taking in its input.
      const joined = await waitForGroup(
        group,
        (g) => g.state === "Stable" && g.members === 1 && !gone.has(g.ids[0] as string),
        75_000,
      );
      assert.ok(joined, `instance ${n} joined the group`);
      for (const id of joined.ids) gone.add(id);
      log(`instance ${n} in the group`);
      await sleep(500 + Math.random() * 2500);
      const before = await storedRows(questdb, fx);
      const differing = expected.hourly.filter((l) => !before.hourly.includes(l)).length;
      processor.kill("SIGKILL");
      await exitOf(processor);
      log(`kill -9 number ${n}; ${differing} of ${expected.hourly.length} hourly rows not yet the batch's`);
      processor = instance(fx, env);
      const part = parts[n];
      if (part) await publish(fx, part);
    }
    log("all input was published before the last kill");
    const stored = await waitForRows(questdb, fx, expected, 150_000);
    log(`rows ${JSON.stringify(stored) === JSON.stringify(expected) ? "equal" : "differ"}`);
    assertRowsEqual(stored, expected);
  });
});
