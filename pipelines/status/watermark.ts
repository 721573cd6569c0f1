// How far the consumer has read, in platform time, for the silence sweep. A device is only silent if nothing came
// from it up to the sweep's time; while a partition still has a backlog (after downtime, or a new consumer group
// replaying the log), the sweep must judge no later than the newest record read from it, or every device would
// look silent until its backlog is read.
export class Watermark {
  readonly #behind = new Map<string, number>();

  /** After a batch: `caughtUp` when it reached the partition's end; `readUpTo` is its newest received_at. */
  advance(topic: string, partition: number, caughtUp: boolean, readUpTo: number): void {
    const key = `${topic}/${partition}`;
    if (caughtUp) this.#behind.delete(key);
    else this.#behind.set(key, Math.max(readUpTo, this.#behind.get(key) ?? readUpTo));
  }

  /** On a rebalance: the partitions may have moved. */
  reset(): void {
    this.#behind.clear();
  }

  /** The time up to which silence may be judged. */
  at(wallClock: number): number {
    return Math.min(wallClock, ...this.#behind.values());
  }
}
