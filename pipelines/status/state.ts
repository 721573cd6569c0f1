// A device's connectivity as a pure step function: `(state, event, now) → (state, transition?)`. `now` is when the
// event happened in platform time (a message's received_at, or the moment a silence check judges), never the
// device's clock: devices boot at 1970 and drift.
import type { OnlineState, StatusReason } from "../../schemas/generated/types.ts";

/** A device is silent after this many of its expected intervals without a heartbeat, reading or status. */
export const SILENCE_FACTOR = 3;
/** expected_interval_s of a device the registry does not know (the `devices` column default). */
export const DEFAULT_EXPECTED_INTERVAL_S = 60;

export const allowedGapMs = (expectedIntervalS: number): number => SILENCE_FACTOR * expectedIntervalS * 1000;

export interface KnownState {
  status: OnlineState;
  /** Why the current status was set. */
  reason: StatusReason;
  /** When the current status took effect. */
  changedAt: number;
  /** The latest sign of life (heartbeat, reading, online status); null until the first. */
  lastSeen: number | null;
}

/** null: never heard of. */
export type DeviceState = KnownState | null;

export type StatusEvent =
  | { kind: "status"; status: OnlineState; reason: StatusReason }
  | { kind: "heartbeat" }
  | { kind: "telemetry" }
  | { kind: "silence_check"; allowedGapMs: number };

export interface Transition {
  from: OnlineState | null;
  to: OnlineState;
  reason: StatusReason;
  ts: number;
}

export interface Step {
  state: DeviceState;
  transition?: Transition;
}

function change(
  state: DeviceState,
  to: OnlineState,
  reason: StatusReason,
  ts: number,
  lastSeen: number | null,
): Step {
  return {
    state: { status: to, reason, changedAt: ts, lastSeen },
    transition: { from: state?.status ?? null, to, reason, ts },
  };
}

export function step(state: DeviceState, event: StatusEvent, now: number): Step {
  if (event.kind === "silence_check") {
    if (state?.status !== "online" || state.lastSeen === null) return { state };
    const silentFrom = state.lastSeen + event.allowedGapMs;
    // Strictly after: a message arriving exactly at the limit still counts as on time.
    return now > silentFrom ? change(state, "offline", "silence", silentFrom, state.lastSeen) : { state };
  }
  const to = event.kind === "status" ? event.status : "online";
  const reason = event.kind === "status" ? event.reason : event.kind;
  // An offline status (usually the last will, which the broker publishes) is no sign of life.
  const lastSeen = to === "online" ? Math.max(state?.lastSeen ?? now, now) : (state?.lastSeen ?? null);
  // The three topics are consumed independently, so an event may arrive after a later change: it must not undo it.
  const stale = state !== null && now <= state.changedAt;
  if (state === null || (state.status !== to && !stale)) return change(state, to, reason, now, lastSeen);
  return { state: { ...state, lastSeen } };
}

/**
 * A message: first judges the silence before it (so a replay or a lagging consumer records the gap), then applies
 * it. Zero, one or two transitions.
 */
export function observe(
  state: DeviceState,
  event: Exclude<StatusEvent, { kind: "silence_check" }>,
  now: number,
  gapMs: number,
): { state: DeviceState; transitions: Transition[] } {
  const silence = step(state, { kind: "silence_check", allowedGapMs: gapMs }, now);
  const applied = step(silence.state, event, now);
  const transitions = [silence.transition, applied.transition].filter((t) => t !== undefined);
  return { state: applied.state, transitions };
}

/** One device's events of a unit of work, summarised for `staysOnline`. */
export interface Liveness {
  /** `at` of the first event. */
  first: number;
  /** The largest step from the newest earlier event to a later one (0 for a single event). */
  jump: number;
  /** The newest `at`. */
  newest: number;
}

/**
 * Events that are all signs of life (readings, heartbeats, online statuses), summarised; undefined when one could
 * change a status (an offline status). Applied by `observe`, in order, to an online device whose lastSeen is L with
 * allowed gap G, they make no transition and only set lastSeen to max(L, newest) whenever `staysOnline` holds: the
 * first comes within G of L, and each later one within G of the newest before it.
 */
export function livenessOf(events: readonly { event: StatusEvent; at: number }[]): Liveness | undefined {
  let first: number | undefined;
  let newest = Number.NEGATIVE_INFINITY;
  let jump = 0;
  for (const { event, at } of events) {
    if (event.kind === "silence_check" || (event.kind === "status" && event.status !== "online"))
      return undefined;
    if (first === undefined) first = at;
    else jump = Math.max(jump, at - newest);
    newest = Math.max(newest, at);
  }
  return first === undefined ? undefined : { first, jump, newest };
}

export const staysOnline = (state: DeviceState, l: Liveness, gapMs: number): boolean =>
  state?.status === "online" &&
  state.lastSeen !== null &&
  l.first <= state.lastSeen + gapMs &&
  l.jump <= gapMs;
