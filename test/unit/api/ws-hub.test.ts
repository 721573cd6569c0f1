// The live feed's connection hub and a system's view, with fake sockets: a client that does not read is dropped
// rather than buffered for, one that misses a pong is terminated, updates reach only clients that had their
// snapshot, and readings, power and status apply as the view's rules say.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Hub, type Socket } from "../../../api/ws/hub.ts";
import type { Connectivity } from "../../../api/ws/monitoring-data.ts";
import { SystemView } from "../../../api/ws/system-view.ts";
import type { TelemetryReading } from "../../../schemas/generated/types.ts";

class FakeSocket implements Socket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  pings = 0;
  terminated = false;
  readonly #listeners = new Map<string, (() => void)[]>();

  send(data: string | Buffer, options?: { binary: boolean }): void {
    assert.notEqual(options?.binary, true, "a text frame");
    this.sent.push(data.toString());
  }
  ping(): void {
    this.pings++;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
    this.emit("close");
  }
  close(): void {
    this.terminate();
  }
  on(event: string, listener: () => void): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string): void {
    for (const l of this.#listeners.get(event) ?? []) l();
  }
}

test("hub: a client over the buffer bound is dropped, the others still get the message", () => {
  const emptied: number[] = [];
  const hub = new Hub({ maxBufferedBytes: 1000, heartbeatMs: 1000 }, (id) => emptied.push(id));
  const [fast, slow] = [new FakeSocket(), new FakeSocket()];
  for (const s of [fast, slow]) hub.add(7, s).ready = true;
  slow.bufferedAmount = 1001;
  assert.equal(hub.publish(7, { type: "update" }), 1);
  assert.deepEqual([fast.sent.length, slow.sent.length, slow.terminated], [1, 0, true]);
  assert.deepEqual(hub.stats(), {
    total_connections: 1,
    active_systems: 1,
    systems: [{ system_id: 7, connections: 1 }],
    messages_sent: 1,
    dropped_clients: { slow: 1, unresponsive: 0 },
  });
  fast.emit("close");
  assert.deepEqual([hub.stats().total_connections, emptied], [0, [7]]);
});

test("hub: a client that misses a pong by the next ping is terminated", () => {
  const hub = new Hub({ maxBufferedBytes: 1000, heartbeatMs: 1000 });
  const [answers, silent] = [new FakeSocket(), new FakeSocket()];
  hub.add(1, answers);
  hub.add(1, silent);
  hub.heartbeat();
  assert.deepEqual([answers.pings, silent.pings], [1, 1]);
  answers.emit("pong");
  hub.heartbeat();
  assert.deepEqual([answers.terminated, silent.terminated], [false, true]);
  assert.equal(answers.pings, 2);
  assert.deepEqual(hub.stats().dropped_clients, { slow: 0, unresponsive: 1 });
});

test("hub: updates and broadcasts skip clients still waiting for their snapshot", () => {
  const hub = new Hub({ maxBufferedBytes: 1000, heartbeatMs: 1000 });
  const [waiting, ready, other] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  hub.add(1, waiting);
  hub.add(1, ready).ready = true;
  hub.add(2, other).ready = true;
  assert.deepEqual(hub.broadcast(1, { type: "broadcast" }), { clients: 1, systems: 1 });
  assert.deepEqual(hub.broadcast(undefined, { type: "broadcast" }), { clients: 2, systems: 2 });
  assert.deepEqual([waiting.sent.length, ready.sent.length, other.sent.length], [0, 2, 1]);
});

const NOW = Date.UTC(2025, 5, 1, 12);
const reading = (device_id: string, ts: number, power_w: number | null): TelemetryReading => ({
  device_id,
  ts,
  ts_source: "device",
  energy_wh_total: 1,
  power_w,
  boot_id: null,
  seq: null,
  switch_state: null,
  voltage_v: null,
  current_a: null,
  source: "test",
  received_at: ts,
});

function view() {
  const none = { cost: null, currency: null };
  return new SystemView(
    {
      info: { system_id: 1, site_id: "s", name: null, timezone: "UTC", emission_factor_kg_per_kwh: 0.5 },
      statuses: new Map<string, Connectivity | undefined>([
        ["inv", "offline"],
        ["bat", undefined],
      ]),
      generation: new Set(["inv"]),
      figures: { today_wh: 0, month_wh: 0, total_wh: 0, today: none, month: none, total: none },
      chart: { labels: [], hour_starts: [], values: [] },
      power: new Map(),
      lastReading: null,
    },
    5 * 60_000,
  );
}

test("view: generation power counts within the window; other devices' readings are shown, not counted", () => {
  const v = view();
  assert.equal(v.reading(reading("elsewhere", NOW, 100)), false);
  assert.equal(v.reading(reading("inv", NOW - 60_000, 1500)), true);
  assert.equal(v.reading(reading("inv", NOW - 120_000, 9999)), true, "older: shown, not the current power");
  assert.equal(v.reading(reading("bat", NOW, 4000)), true);
  const update = v.update(NOW);
  assert.equal(update.current_generation_kw, 1.5);
  assert.equal(update.readings.length, 3);
  assert.equal(update.last_reading?.device_id, "bat");
  assert.equal(v.update(NOW).readings.length, 0, "readings are sent once");
  assert.equal(v.update(NOW + 5 * 60_000).current_generation_kw, 0, "power older than the window");
});

test("view: a status transition applies unless an earlier one arrives after it", () => {
  const v = view();
  const status = (device_id: string, status: Connectivity, ts: number) => ({
    device_id,
    status,
    reason: "message" as const,
    ts,
    received_at: ts,
    source: "t",
  });
  assert.equal(v.update(NOW).status, "offline");
  assert.equal(v.status(status("inv", "online", NOW)), true);
  assert.equal(v.status(status("inv", "offline", NOW - 1)), false);
  assert.deepEqual(v.update(NOW).devices, { total: 2, online: 1, offline: 0, unknown: 1 });
  assert.equal(v.update(NOW).status, "online");
});
