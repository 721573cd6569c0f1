// The in-memory StateStore of one partition, with the keys changed since the last checkpoint. Restored entries are
// clean: only what the processor changes goes to the changelog again.
import type { StateStore } from "./processor.ts";

export class MemoryStateStore<S> implements StateStore<S> {
  readonly #values = new Map<string, S>();
  readonly #dirty = new Set<string>();

  get(key: string): S | undefined {
    return this.#values.get(key);
  }

  put(key: string, value: S): void {
    this.#values.set(key, value);
    this.#dirty.add(key);
  }

  delete(key: string): boolean {
    const had = this.#values.delete(key);
    if (had) this.#dirty.add(key);
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

  get dirtyCount(): number {
    return this.#dirty.size;
  }

  /** The dirty keys with their value now (undefined: deleted). */
  *dirty(): IterableIterator<[string, S | undefined]> {
    for (const key of this.#dirty) yield [key, this.#values.get(key)];
  }

  /** After a checkpoint made the dirty keys durable. */
  clean(): void {
    this.#dirty.clear();
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
