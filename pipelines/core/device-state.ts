// What the fold remembers about one device between readings. Plain JSON (no Map, undefined or Infinity) so that
// the stream can save it to its compacted changelog and restore it unchanged.
import type { Reading } from "./reading.ts";

/** A reading held back because it classified reset or jump; the next reading decides whether it was a glitch. */
export interface Pending {
  reading: Reading;
  classification: "reset" | "jump";
}

/** A device with a baseline. */
export interface StartedState {
  /** The last accepted reading. */
  last: Reading;
  /** High-water mark: the counter value against which increases are measured. */
  hw: number;
  /** Last known boot id; `null` when unknown. */
  boot: string | null;
  pending: Pending | null;
  /**
   * `last` is a new counter's start set by a meter replacement, not a reading: a reading at its ts belongs before
   * the swap, and a second replacement at its ts is a duplicate.
   */
  replaced: boolean;
}

export type DeviceState = StartedState | { last: null; hw: 0; boot: null; pending: null; replaced: false };

export const initialDeviceState: DeviceState = {
  last: null,
  hw: 0,
  boot: null,
  pending: null,
  replaced: false,
};
