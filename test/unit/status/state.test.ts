import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { toDeviceEvent } from "../../../pipelines/status/events.ts";
import {
  allowedGapMs,
  type DeviceState,
  type KnownState,
  livenessOf,
  observe,
  SILENCE_FACTOR,
  type StatusEvent,
  staysOnline,
  step,
} from "../../../pipelines/status/state.ts";

const heartbeat: StatusEvent = { kind: "heartbeat" };
const telemetry: StatusEvent = { kind: "telemetry" };
const lastWill: StatusEvent = { kind: "status", status: "offline", reason: "message" };
const online: KnownState = { status: "online", reason: "heartbeat", changedAt: 1_000, lastSeen: 5_000 };
const check = (gapMs: number): StatusEvent => ({ kind: "silence_check", allowedGapMs: gapMs });

describe("step", () => {
  test("the first sign of life brings an unknown device online, with the event's reason", () => {
    assert.deepEqual(step(null, telemetry, 100), {
      state: { status: "online", reason: "telemetry", changedAt: 100, lastSeen: 100 },
      transition: { from: null, to: "online", reason: "telemetry", ts: 100 },
    });
  });

  test("an unknown device's last will records it offline, not seen", () => {
    assert.deepEqual(step(null, lastWill, 100), {
      state: { status: "offline", reason: "message", changedAt: 100, lastSeen: null },
      transition: { from: null, to: "offline", reason: "message", ts: 100 },
    });
  });

  test("a heartbeat of an online device moves last seen and is no transition", () => {
    const { state, transition } = step(online, heartbeat, 6_000);
    assert.equal(transition, undefined);
    assert.deepEqual(state, { ...online, lastSeen: 6_000 });
  });

  test("last seen never goes back", () => {
    assert.equal(step(online, heartbeat, 4_000).state?.lastSeen, 5_000);
  });

  test("a last will turns an online device offline and keeps when it was last seen", () => {
    const { state, transition } = step(online, lastWill, 7_000);
    assert.deepEqual(transition, { from: "online", to: "offline", reason: "message", ts: 7_000 });
    assert.deepEqual(state, { status: "offline", reason: "message", changedAt: 7_000, lastSeen: 5_000 });
  });

  test("a status message keeps its own reason", () => {
    const cloud: StatusEvent = { kind: "status", status: "offline", reason: "cloud" };
    assert.equal(step(online, cloud, 7_000).transition?.reason, "cloud");
  });

  test("an event older than the last change does not undo it (topics arrive in any order)", () => {
    const offline = step(online, lastWill, 7_000).state;
    const late = step(offline, heartbeat, 6_500);
    assert.equal(late.transition, undefined);
    assert.equal(late.state?.status, "offline");
    assert.equal(late.state?.lastSeen, 6_500);
    assert.equal(step(offline, heartbeat, 7_000).transition, undefined);
  });

  test("after a last will, the next message brings the device back online", () => {
    const offline = step(online, lastWill, 7_000).state;
    assert.deepEqual(step(offline, telemetry, 7_001).transition, {
      from: "offline",
      to: "online",
      reason: "telemetry",
      ts: 7_001,
    });
  });

  test("a second last will is no transition", () => {
    const offline = step(online, lastWill, 7_000).state;
    assert.equal(step(offline, lastWill, 8_000).transition, undefined);
  });
});

describe("silence", () => {
  const gap = allowedGapMs(1);

  test("the allowed gap is three expected intervals", () => {
    assert.equal(SILENCE_FACTOR, 3);
    assert.equal(allowedGapMs(60), 180_000);
  });

  test("an online device silent for longer than the gap turns offline at the end of the gap", () => {
    const { state, transition } = step(online, check(gap), 5_000 + gap + 1);
    assert.deepEqual(transition, { from: "online", to: "offline", reason: "silence", ts: 5_000 + gap });
    assert.deepEqual(state, {
      status: "offline",
      reason: "silence",
      changedAt: 5_000 + gap,
      lastSeen: 5_000,
    });
  });

  test("exactly at the limit the device is still on time", () => {
    assert.equal(step(online, check(gap), 5_000 + gap).transition, undefined);
  });

  test("unknown and offline devices are never silent", () => {
    assert.deepEqual(step(null, check(gap), 1e12), { state: null });
    const offline: DeviceState = { status: "offline", reason: "message", changedAt: 1, lastSeen: 0 };
    assert.equal(step(offline, check(gap), 1e12).transition, undefined);
  });

  test("the next message after silence brings the device back online", () => {
    const silent = step(online, check(gap), 20_000).state;
    assert.deepEqual(step(silent, heartbeat, 20_500).transition, {
      from: "offline",
      to: "online",
      reason: "heartbeat",
      ts: 20_500,
    });
  });
});

describe("observe", () => {
  const gap = allowedGapMs(1);

  test("a message after a gap records the silence before it, then the return", () => {
    const { state, transitions } = observe(online, heartbeat, 5_000 + 10_000, gap);
    assert.deepEqual(transitions, [
      { from: "online", to: "offline", reason: "silence", ts: 5_000 + gap },
      { from: "offline", to: "online", reason: "heartbeat", ts: 15_000 },
    ]);
    assert.deepEqual(state, { status: "online", reason: "heartbeat", changedAt: 15_000, lastSeen: 15_000 });
  });

  test("a message within the gap is a single step", () => {
    assert.deepEqual(observe(online, heartbeat, 5_000 + gap, gap), {
      state: { ...online, lastSeen: 5_000 + gap },
      transitions: [],
    });
  });

  test("only transitions come out of a stream of heartbeats", () => {
    let state: DeviceState = null;
    const all = [];
    for (const at of [0, 1_000, 2_000, 3_000, 10_000, 11_000]) {
      const observed = observe(state, heartbeat, at, gap);
      state = observed.state;
      all.push(...observed.transitions.map((t) => `${t.to}:${t.reason}@${t.ts}`));
    }
    assert.deepEqual(all, ["online:heartbeat@0", "offline:silence@6000", "online:heartbeat@10000"]);
  });
});

test("records become events at their received_at, whatever the device's clock says", () => {
  const base = { device_id: "d1", ts: 0, received_at: 42, source: "mqtt" };
  assert.deepEqual(
    toDeviceEvent({ name: "DeviceStatus", record: { ...base, status: "offline", reason: "last_will" } }),
    { deviceId: "d1", at: 42, event: { kind: "status", status: "offline", reason: "last_will" } },
  );
  const beat = { ...base, uptime_s: null, rssi_dbm: null, firmware: null, boot_id: null };
  assert.deepEqual(toDeviceEvent({ name: "Heartbeat", record: beat }), {
    deviceId: "d1",
    at: 42,
    event: { kind: "heartbeat" },
  });
});

describe("livenessOf and staysOnline (the status store's update without a load)", () => {
  const signOfLife = fc.constantFrom<StatusEvent>(
    heartbeat,
    telemetry,
    { kind: "status", status: "online", reason: "message" },
    { kind: "status", status: "online", reason: "other" },
  );
  const anyEvent = fc.oneof(signOfLife, fc.constant(lastWill));
  const fold = (state: DeviceState, events: { event: StatusEvent; at: number }[], gapMs: number) => {
    let s = state;
    const transitions = [];
    for (const { event, at } of events) {
      const o = observe(s, event as Exclude<StatusEvent, { kind: "silence_check" }>, at, gapMs);
      s = o.state;
      transitions.push(...o.transitions);
    }
    return { state: s, transitions };
  };
  const timed = (event: fc.Arbitrary<StatusEvent>) =>
    fc.array(fc.record({ event, at: fc.integer({ min: 0, max: 20_000 }) }), { minLength: 1, maxLength: 8 });
  const known = fc.record({
    status: fc.constantFrom("online" as const, "offline" as const),
    reason: fc.constantFrom("heartbeat" as const, "telemetry" as const, "silence" as const),
    changedAt: fc.integer({ min: 0, max: 10_000 }),
    lastSeen: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }),
  });

  test("when it holds, the whole fold changes only lastSeen, to the newest of it and the events", () => {
    fc.assert(
      fc.property(known, timed(anyEvent), fc.integer({ min: 0, max: 8_000 }), (state, events, gapMs) => {
        const l = livenessOf(events);
        if (l === undefined || !staysOnline(state, l, gapMs)) return;
        const folded = fold(state, events, gapMs);
        assert.deepEqual(folded.transitions, []);
        assert.deepEqual(folded.state, { ...state, lastSeen: Math.max(state.lastSeen as number, l.newest) });
      }),
      { numRuns: 2000 },
    );
  });

  test("it holds for an online device's steady signs of life, and never once an offline status is among them", () => {
    const state: KnownState = { status: "online", reason: "telemetry", changedAt: 0, lastSeen: 10_000 };
    const steady = [10_500, 11_000, 11_400].map((at) => ({ event: telemetry, at }));
    assert.ok(staysOnline(state, livenessOf(steady) ?? assert.fail("no liveness"), 1_000));
    assert.equal(livenessOf([...steady, { event: lastWill, at: 11_500 }]), undefined);
    // The first comes after the gap: the silence must be recorded by the fold.
    assert.ok(!staysOnline(state, livenessOf([{ event: telemetry, at: 11_001 }]) ?? assert.fail(), 1_000));
    // A later one comes more than the gap after the newest before it.
    const late = [10_100, 11_200].map((at) => ({ event: heartbeat, at }));
    assert.ok(!staysOnline(state, livenessOf(late) ?? assert.fail(), 1_000));
    assert.ok(!staysOnline({ ...state, status: "offline" }, livenessOf(steady) ?? assert.fail(), 1_000));
  });
});
