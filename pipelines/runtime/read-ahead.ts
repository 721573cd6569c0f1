// Lets a topic reader fetch the next batch while the last one is processed. kafkajs fetches again only once every
// batch of its last fetch is handled, so a handler that does its work before returning leaves the broker idle while
// it works, and itself idle while the broker fetches. Batches are still processed one at a time, in their order.
export class ReadAhead {
  #running: Promise<void> = Promise.resolve();

  /**
   * For `onBatch`: waits for the previous batch's work (throwing its error, which ends the read), then starts this
   * one's after the reader has sent its next fetch, and returns without waiting for it.
   */
  async add(work: () => Promise<void> | void): Promise<void> {
    await this.#running;
    this.#running = new Promise<void>((resolve) => setImmediate(resolve)).then(work);
    // Rethrown by the next `add` or by `settled`; meanwhile it must not count as an unhandled rejection.
    this.#running.catch(() => {});
  }

  /** Waits for the last batch's work: once the read has ended, everything is processed. */
  settled(): Promise<void> {
    return this.#running;
  }
}
