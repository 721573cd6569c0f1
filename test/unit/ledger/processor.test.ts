// The ledger processor on the runtime's test driver (no broker, no QuestDB): its rows, checkpoints, held offsets
// and restores, against the batch.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { loadConfig } from "../../../ground/config.ts";
import { TOPICS } from "../../../ground/topics.ts";
import { computeDevice } from "../../../pipelines/core/batch.ts";
import type { Reading } from "../../../pipelines/core/reading.ts";
import { type DeviceInput, isReplacement } from "../../../pipelines/core/replacement.ts";
import type { HourBucket } from "../../../pipelines/core/rollup.ts";
import type { DeviceSettings } from "../../../pipelines/core/settings.ts";
import { ledgerProcessor } from "../../../pipelines/ledger/processor.ts";
import { StallWatch } from "../../../pipelines/runtime/stall-watch.ts";
import { TestDriver } from "../../../pipelines/runtime/test-driver.ts";
import { schemaStore } from "../../../schemas/codec/schema-store.ts";
import { arrivalsArb, settingsArb } from "../core/arbitraries.ts";
import { DEVICE } from "../core/helpers.ts";

const L = 120_000;
const config = {
  ...loadConfig(),
  ledger: { ...loadConfig().ledger, allowedLatenessMs: L, silentFlushMs: 600_000 },
};

/**
 * A sender that keeps the last value of every row, as QuestDB's DEDUP UPSERT KEYS do, once flushed; `pauseMs`
 * stops the process that long at the next row (a GC pause, a SIGSTOP).
 */
class RecordingSender {
  readonly tables = new Map<string, Map<string, Record<string, unknown>>>();
  pauseMs = 0;
  #pending: [string, string, Record<string, unknown>][] = [];
  #row: Record<string, unknown> = {};
  #table = "";
  table(name: string) {
    this.#table = name;
    this.#row = {};
    return this;
  }
  #set(name: string, value: unknown) {
    this.#row[name] = value;
    return this;
  }
  symbol = (n: string, v: unknown) => this.#set(n, v);
  stringColumn = (n: string, v: unknown) => this.#set(n, v);
  floatColumn = (n: string, v: unknown) => this.#set(n, v);
  intColumn = (n: string, v: unknown) => this.#set(n, v);
  booleanColumn = (n: string, v: unknown) => this.#set(n, v);
  timestampColumn = (n: string, v: unknown) => this.#set(n, v);
  async at(ts: number | bigint, unit: "us" | "ms" = "us") {
    for (const until = performance.now() + this.pauseMs; performance.now() < until; );
    this.pauseMs = 0;
    const ms = unit === "ms" ? Number(ts) : Number(BigInt(ts) / 1000n);
    // Keyed as the tables' DEDUP keys: an anomaly's include its type.
    const type = this.#table === "anomalies" ? `|${this.#row.type}` : "";
    this.#pending.push([this.#table, `${this.#row.device_id}|${ms}${type}`, { ...this.#row, ts: ms }]);
  }
  async flush() {
    for (const [table, key, row] of this.#pending) {
      const rows = this.tables.get(table) ?? new Map();
      this.tables.set(table, rows);
      rows.set(key, row);
    }
    this.#pending = [];
    return true;
  }
  reset() {
    this.#pending = [];
  }
  async close() {}
}

/** One watch for every driver: each would otherwise add a timer. */
const stalls = new StallWatch(5);

/** `requested`: the devices of every recalculation asked for, in order. */
function driverFor(
  s: DeviceSettings,
  requested: string[][] = [],
  writeWithinMs = 60_000,
  options: { lazyWriteMs?: number; allowedLatenessMs?: number; recalcMinIntervalMs?: number } = {},
) {
  const sender = new RecordingSender();
  const allowedLatenessMs = options.allowedLatenessMs ?? L;
  const recalcMinIntervalMs = options.recalcMinIntervalMs ?? config.ledger.recalcMinIntervalMs;
  const processor = ledgerProcessor({
    config: { ...config, ledger: { ...config.ledger, allowedLatenessMs, recalcMinIntervalMs } },
    logger: undefined as never,
    registry: { settingsFor: (device_id) => ({ ...s, device_id }), devices: new Map(), versions: [] },
    recalculator: { request: (_ctx, devices) => requested.push(devices), tap() {}, forget() {} },
    mirror: new Set(),
    sender,
    writeGroupMs: 0,
    writeWithinMs,
    stalls,
  });
  return {
    sender,
    driver: new TestDriver(processor, { batchSize: 3, lazyWriteMs: options.lazyWriteMs ?? 0 }),
  };
}

const encode = (r: DeviceInput) =>
  isReplacement(r)
    ? schemaStore().encode("MeterReplacement", {
        device_id: r.device_id,
        ts: r.ts,
        old_final_wh_total: r.old_final_wh_total,
        new_initial_wh_total: r.new_initial_wh_total,
        source: "test",
        received_at: r.ts,
      })
    : encodeReading(r);

const encodeReading = (r: Reading) =>
  schemaStore().encode("TelemetryReading", {
    device_id: r.device_id,
    ts: r.ts,
    ts_source: "device",
    energy_wh_total: r.energy_wh_total,
    power_w: null,
    boot_id: r.boot_id ?? null,
    seq: null,
    switch_state: null,
    voltage_v: null,
    current_a: null,
    source: "test",
    received_at: r.ts,
  });

const round = (x: unknown) => Math.round(Number(x) * 1e6) / 1e6;

const rowsOf = (sender: RecordingSender, table: string, device = DEVICE) =>
  [...(sender.tables.get(table)?.values() ?? [])].filter((r) => r.device_id === device);

/** Every reported hour and day of a device with all its counts, and its anomalies not retracted. */
function stored(sender: RecordingSender, device = DEVICE) {
  const counts = (r: Record<string, unknown>) =>
    `${round(r.energy_wh)} ${r.readings} ${r.duplicates} ${r.resets} ${r.replacements} ${r.anomalies} ${r.confidence ?? null}`;
  return {
    hourly: rowsOf(sender, "energy_hourly", device)
      .filter((r) => r.confidence !== undefined)
      .map((r) => `${r.ts} ${counts(r)}`)
      .sort(),
    daily: rowsOf(sender, "energy_daily", device)
      .map((r) => `${new Date(r.ts as number).toISOString().slice(0, 10)} ${r.hours} ${counts(r)}`)
      .sort(),
    anomalies: rowsOf(sender, "anomalies", device)
      .filter((a) => a.retracted !== true)
      .map((a) => `${a.ts} ${a.type}`)
      .sort(),
  };
}

function batch(inputs: DeviceInput[], s: DeviceSettings) {
  const b = computeDevice(inputs, s);
  const counts = (r: Omit<HourBucket, "hour_start" | "intervals">) =>
    `${round(r.energy_wh)} ${r.readings} ${r.duplicates} ${r.resets} ${r.replacements} ${r.anomalies} ${r.confidence}`;
  return {
    hourly: b.hourly.map((h) => `${h.hour_start} ${counts(h)}`).sort(),
    daily: b.daily.map((d) => `${d.date} ${d.hours} ${counts(d)}`).sort(),
    // The anomalies table keeps one row per device, ts and type.
    anomalies: [...new Set(b.anomalies.map((a) => `${a.ts} ${a.type}`))].sort(),
  };
}

const interruptionArb = fc.constantFrom(
  "none",
  "none",
  "none",
  "tick",
  "silence",
  "crash",
  "rebalance",
  "checkpoint",
);

test("on the runtime, one to three devices interleaved on a partition, with crashes, rebalances, checkpoints and silences longer than the silent-device wait anywhere, states written at once or lazily: every row ends equal to the batch", async () => {
  await fc.assert(
    fc.asyncProperty(
      settingsArb,
      fc.array(arrivalsArb(L), { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(fc.nat({ max: 2 }), interruptionArb), { maxLength: 150 }),
      fc.constantFrom(0, 1500, 10_000),
      async (s, traces, plan, lazyWriteMs) => {
        const { sender, driver } = driverFor(s, [], 60_000, { lazyWriteMs });
        await driver.start();
        const devices = traces.map((t, d) => t.map((r) => ({ ...r, device_id: `dev-${d}` }) as DeviceInput));
        const queues = devices.map((inputs) => [...inputs]);
        for (let step = 0; queues.some((q) => q.length > 0); step++) {
          // Each step's device is the plan's pick, or the next one with inputs left.
          const [pick, interruption] = plan[step] ?? [0, "none"];
          const queue = [0, 1, 2].map((i) => queues[(pick + i) % queues.length]).find((q) => q?.length);
          const r = queue?.shift() as DeviceInput;
          await driver.pipe(TOPICS.telemetry, 0, [{ key: r.device_id, value: encode(r), timestamp: r.ts }]);
          if (interruption === "tick") await driver.advance(1000);
          if (interruption === "silence") await driver.advance(601_000);
          if (interruption === "crash") await driver.crash(0);
          if (interruption === "checkpoint") await driver.checkpoint(0);
          if (interruption === "rebalance") {
            await driver.revoke(0);
            await driver.assign(0);
          }
        }
        await driver.advance(601_000);
        await driver.advance(1000);
        assert.deepEqual(driver.failures, []);
        // An input behind what a silent device's flush released is taken as late: the recalculation it is
        // sent for (not run here) places it, as test/integration/ledger/exactness.test.ts shows.
        const late = new Set(driver.sent(TOPICS.late).map((m) => String(m.key)));
        for (const inputs of devices) {
          const device = inputs[0]?.device_id as string;
          if (!late.has(device))
            assert.deepEqual(stored(sender, device), batch(inputs, { ...s, device_id: device }));
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("a state only its readings moved is written once WATTLINE_STATE_WRITE_MS old, and no offset past what its last written value needs is committed meanwhile; a restore reads those readings again", async () => {
  const s = { ...(await fc.sample(settingsArb, 1))[0], max_power_w: null } as DeviceSettings;
  const { sender, driver } = driverFor(s, [], 60_000, { lazyWriteMs: 10_000, allowedLatenessMs: 0 });
  await driver.start();
  const t0 = Date.parse("2025-01-01T00:00:00Z");
  const readings = [0, 1, 2, 3, 4].map((i) => ({
    device_id: DEVICE,
    ts: t0 + i * 60_000,
    energy_wh_total: 100 + i * 10,
  }));
  const pipe = (rs: Reading[]) =>
    driver.pipe(
      TOPICS.telemetry,
      0,
      rs.map((r) => ({ key: DEVICE, value: encode(r) })),
    );
  const saved = () => driver.changelog(0).filter((c) => c.key === DEVICE);
  await pipe(readings.slice(0, 3));
  await driver.checkpoint(0);
  assert.equal(saved().length, 0, "not written at the first checkpoint");
  // With no lateness allowed the buffer holds only the newest reading (offset 2).
  assert.equal(
    driver.committed(TOPICS.telemetry, 0),
    0n,
    "offsets 0 and 1 are needed: their state is unwritten",
  );
  await driver.advance(10_000);
  assert.equal(saved().length, 1, "written once 10 s old");
  assert.equal(driver.committed(TOPICS.telemetry, 0), 2n);
  await pipe(readings.slice(3));
  await driver.checkpoint(0);
  assert.equal(saved().length, 1);
  assert.equal(driver.committed(TOPICS.telemetry, 0), 2n, "the written state holds offset 2");
  await driver.crash(0);
  assert.equal(driver.task(0)?.position(TOPICS.telemetry), 5n, "offsets 3 and 4 read again");
  await driver.revoke(0);
  assert.equal(saved().length, 2, "every change is written at revoke");
  assert.equal(driver.committed(TOPICS.telemetry, 0), 4n);
  await driver.assign(0);
  await driver.advance(601_000);
  await driver.advance(1000);
  assert.deepEqual(driver.failures, []);
  assert.deepEqual(stored(sender), batch(readings, s));
});

test("no offset past a reading held in the reorder buffer is committed; a restore reads it again", async () => {
  const s = { ...(await fc.sample(settingsArb, 1))[0], max_power_w: null } as DeviceSettings;
  const { sender, driver } = driverFor(s);
  await driver.start();
  const t0 = Date.parse("2025-01-01T00:00:00Z");
  const readings = [0, 1, 2, 3].map((i) => ({
    device_id: DEVICE,
    ts: t0 + i * 60_000,
    energy_wh_total: 100 + i * 10,
  }));
  await driver.pipe(
    TOPICS.telemetry,
    0,
    readings.map((r) => ({ key: DEVICE, value: encode(r) })),
  );
  await driver.checkpoint(0);
  // With two minutes of lateness only the first reading is released: offsets 1 to 3 are held.
  assert.equal(driver.committed(TOPICS.telemetry, 0), 1n);
  const [saved] = driver
    .changelog(0)
    .filter((c) => c.key === DEVICE)
    .slice(-1);
  assert.deepEqual([...(saved?.value?.restoring ?? [])].sort(), [1n, 2n, 3n]);
  await driver.crash(0);
  await driver.advance(601_000);
  await driver.advance(1000);
  assert.deepEqual(stored(sender), batch(readings, s));
  assert.equal(
    driver.committed(TOPICS.telemetry, 0),
    4n,
    "released by the silent-device wait, then committed",
  );
});

test("rows of a process that stood still after the ownership check longer than the session timeout allows (a paused instance) are refused, and the checkpoint fails", async () => {
  const s = (await fc.sample(settingsArb, 1))[0] as DeviceSettings;
  const { sender, driver } = driverFor(s, [], 20);
  await driver.start();
  const reading = { device_id: DEVICE, ts: Date.parse("2025-01-01T00:00:00Z"), energy_wh_total: 100 };
  await driver.pipe(TOPICS.telemetry, 0, [{ key: DEVICE, value: encode(reading) }]);
  sender.pauseMs = 50;
  await assert.rejects(
    driver.checkpoint(0),
    /rows not written: the process stood still for \d+ ms after it last showed/,
  );
  assert.equal(sender.tables.size, 0, "nothing written");
  assert.equal(driver.committed(TOPICS.telemetry, 0), undefined, "nothing committed");
  await driver.assign(0);
  await driver.checkpoint(0);
  assert.equal(rowsOf(sender, "readings").length, 1, "the next owner writes the rows");
});

test("a device whose registry settings change has its whole history recalculated, also after a restart", async () => {
  const s = (await fc.sample(settingsArb, 1))[0] as DeviceSettings;
  const settings = { ...s, timezone: "UTC" };
  const requested: string[][] = [];
  const { driver } = driverFor(settings, requested);
  await driver.start();
  const t0 = Date.parse("2025-01-01T00:00:00Z");
  const reading = (i: number) => ({ device_id: DEVICE, ts: t0 + i * 60_000, energy_wh_total: 100 + i });
  await driver.pipe(
    TOPICS.telemetry,
    0,
    [0, 1, 2].map((i) => ({ key: DEVICE, value: encode(reading(i)) })),
  );
  await driver.advance(5000);
  assert.deepEqual(requested, [], "unchanged settings: nothing to recalculate");

  settings.timezone = "Asia/Kolkata";
  await driver.advance(1000);
  const slot = driver.store(0)?.get(DEVICE);
  assert.equal(slot?.recalcFrom, 0, "from the device's first input");
  assert.notEqual(slot?.recalcDue, null);
  // Saved with the state: a restart before the recalculation ran still does it.
  await driver.checkpoint(0);
  await driver.crash(0);
  await driver.advance(config.ledger.recalcMinIntervalMs + 1000);
  assert.deepEqual(requested.at(-1), [DEVICE]);
  assert.equal(driver.store(0)?.get(DEVICE)?.recalcFrom, 0);
});

test("a late reading's recalculation is asked for with its batch when there is no wait, at the first tick after the wait otherwise", async () => {
  const settings = { ...((await fc.sample(settingsArb, 1))[0] as DeviceSettings), timezone: "UTC" };
  const t0 = Date.parse("2025-01-01T00:00:00Z");
  const reading = (minute: number) => ({
    device_id: DEVICE,
    ts: t0 + minute * 60_000,
    energy_wh_total: 100 + minute,
  });
  for (const wait of [0, 30_000]) {
    const requested: string[][] = [];
    const { driver } = driverFor(settings, requested, 60_000, { recalcMinIntervalMs: wait });
    await driver.start();
    const inOrder = Array.from({ length: 11 }, (_, i) => ({ key: DEVICE, value: encode(reading(i)) }));
    await driver.pipe(TOPICS.telemetry, 0, inOrder);
    assert.deepEqual(requested, [], `wait ${wait}: nothing late yet`);
    // 8.5 minutes behind the newest: later than the allowed lateness (2 minutes).
    await driver.pipe(TOPICS.telemetry, 0, [{ key: DEVICE, value: encode(reading(1.5)) }]);
    if (wait === 0) assert.deepEqual(requested, [[DEVICE]], "no wait: asked for at once");
    else {
      assert.deepEqual(requested, [], "before the wait is over");
      await driver.advance(wait + 1000);
      assert.deepEqual(requested.at(-1), [DEVICE]);
    }
  }
});

test("a device's hour and day rows are written at most every WATTLINE_ROLLUP_WRITE_MS, its ledger rows at every checkpoint; hours not written yet survive a crash and are written when the partition is revoked", async () => {
  const R = config.ledger.rollupWriteMs;
  assert.ok(R >= 2000, "the default leaves several checkpoints between two rollup writes");
  const s: DeviceSettings = {
    device_id: DEVICE,
    timezone: "UTC",
    max_power_w: null,
    noise_wh: 0,
    counter_persists_across_boot: true,
    expected_interval_s: 60,
  };
  const { sender, driver } = driverFor(s);
  await driver.start();
  const t0 = Date.parse("2025-01-01T00:00:00Z");
  const pipe = (from: number, to: number) =>
    driver.pipe(
      TOPICS.telemetry,
      0,
      Array.from({ length: to - from + 1 }, (_, k) => {
        const i = from + k;
        return {
          key: DEVICE,
          value: encode({ device_id: DEVICE, ts: t0 + i * 60_000, energy_wh_total: 100 + i }),
        };
      }),
    );
  const sum = (table: string, column: string) =>
    rowsOf(sender, table).reduce((total, r) => total + Number(r[column]), 0);

  // With two minutes of lateness, the readings older than the newest by more than that are released.
  await pipe(0, 5);
  await driver.advance(1000);
  const first = sum("ledger", "delta_wh");
  assert.ok(first > 0, "ledger rows at the first checkpoint");
  assert.equal(rowsOf(sender, "energy_hourly").length, 0, "the hour's row waits");
  await driver.advance(R);
  assert.equal(sum("energy_hourly", "energy_wh"), first);
  assert.equal(sum("energy_daily", "energy_wh"), first);

  await pipe(6, 8);
  await driver.advance(1000);
  const second = sum("ledger", "delta_wh");
  assert.ok(second > first);
  assert.equal(
    sum("energy_hourly", "energy_wh"),
    first,
    "written less than WATTLINE_ROLLUP_WRITE_MS ago: waits",
  );
  await driver.crash(0);
  assert.deepEqual([...(driver.store(0)?.get(DEVICE)?.unwritten ?? [])], [t0], "restored as not written");
  await driver.advance(R + 1000);
  assert.equal(sum("energy_hourly", "energy_wh"), second, "written by the restored partition");

  await pipe(9, 9);
  await driver.advance(1000);
  await driver.revoke(0);
  const last = sum("ledger", "delta_wh");
  assert.ok(last > second);
  assert.equal(sum("energy_hourly", "energy_wh"), last, "the last checkpoint writes every hour");
  assert.equal(sum("energy_daily", "energy_wh"), last);
  assert.deepEqual(driver.failures, []);
});
