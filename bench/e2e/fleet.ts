// The benchmark's simulated fleet: one reading per message, devices in turn, each device's counter rising by 1 Wh a
// reading and its timestamps strictly increasing (the publish time, in ms), so that every reading is a distinct
// ledger row and its `ts` tells a receiver when it was published.
export class Fleet {
  readonly #energy: number[];
  readonly #lastTs: number[];
  #next = 0;

  constructor(
    readonly devices: readonly string[],
    private readonly topicOf: (device: string) => string,
  ) {
    this.#energy = devices.map(() => 0);
    this.#lastTs = devices.map(() => 0);
  }

  /** The next device's reading as an MQTT topic and JSON payload. */
  reading(now: number): { topic: string; payload: string } {
    const d = this.#next;
    this.#next = (d + 1) % this.devices.length;
    const ts = Math.max(now, (this.#lastTs[d] ?? 0) + 1);
    this.#lastTs[d] = ts;
    const energy = (this.#energy[d] ?? 0) + 1;
    this.#energy[d] = energy;
    const payload = `{"energy_wh_total":${energy},"power_w":600,"ts":"${new Date(ts).toISOString()}"}`;
    return { topic: this.topicOf(this.devices[d] as string), payload };
  }
}
