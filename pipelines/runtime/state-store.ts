// The in-memory StateStore of one partition, with the keys changed since they were last written. Restored entries
// are clean: only what the processor changes goes to the changelog again.
import type { StateStore } from "./processor.ts";

/** Per input topic, the offset a restart would read from. */
export type Floor = ReadonlyMap<string, bigint>;

interface Lazy {
  /** When the key was first changed since its last write (the task's clock). */
  since: number;
  /** The task's floor then: its written value needs nothing read before it. */
  floor: Floor;
}

export class MemoryStateStore<S> implements StateStore<S> {
  readonly #values = new Map<string, S>();
  /** Written at the next checkpoint. */
  readonly #dirty = new Set<string>();
  /** Written once `lazyMs` old; in the order they were changed, so with their floors in ascending order. */
  readonly #lazy = new Map<string, Lazy>();

  /** `floor`: what the task would read from after a restart now; `clock`: the task's. */
  constructor(
    private readonly floor: () => Floor,
    private readonly clock: () => number,
  ) {}

  get(key: string): S | undefined {
    return this.#values.get(key);
  }

  put(key: string, value: S): void {
    this.#values.set(key, value);
    this.#dirty.add(key);
    this.#lazy.delete(key);
  }

  putLazy(key: string, value: S): void {
    this.#values.set(key, value);
    if (!this.#dirty.has(key) && !this.#lazy.has(key))
      this.#lazy.set(key, { since: this.clock(), floor: this.floor() });
  }

  delete(key: string): boolean {
    const had = this.#values.delete(key);
    if (had) {
      this.#dirty.add(key);
      this.#lazy.delete(key);
    }
    return had;
  }

  has(key: string): boolean {
    return this.#values.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#values.keys();
  }

  entries(): IterableIterator<[string, S]> {
    return this.#values.entries();
  }

  get size(): number {
    return this.#values.size;
  }

  /** Sets an entry read back from the changelog; it is not dirty. */
  restore(key: string, value: S): void {
    this.#values.set(key, value);
  }

  /**
   * Takes the keys to write now, with their value (undefined: deleted): every key put, and every key put lazily
   * `lazyMs` ago or more (`all`: every one). They are clean afterwards.
   */
  take(now: number, lazyMs: number, all: boolean): [string, S | undefined][] {
    const out: [string, S | undefined][] = [];
    for (const key of this.#dirty) out.push([key, this.#values.get(key)]);
    this.#dirty.clear();
    for (const [key, { since }] of this.#lazy) {
      if (!all && now - since < lazyMs) break;
      this.#lazy.delete(key);
      out.push([key, this.#values.get(key)]);
    }
    return out;
  }

  /** The floor of the oldest change not written yet: no offset past it may be committed. */
  pinned(): Floor | undefined {
    for (const { floor } of this.#lazy.values()) return floor;
    return undefined;
  }
}

/** The store of a processor without a state codec: nothing in it would survive a restart, so nothing goes in. */
export class NoStateStore implements StateStore<never> {
  constructor(private readonly processor: string) {}

  get(): undefined {
    return undefined;
  }

  put(): void {
    throw new Error(`processor ${this.processor} has no state codec: it cannot keep state`);
  }

  putLazy(): void {
    this.put();
  }

  delete(): boolean {
    return false;
  }

  has(): boolean {
    return false;
  }

  keys(): IterableIterator<string> {
    return [].values();
  }

  entries(): IterableIterator<[string, never]> {
    return [].values();
  }

  get size(): number {
    return 0;
  }
}
