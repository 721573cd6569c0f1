// Fetch settings for a processor under steady load. A fetch answered as soon as one byte is there hands the
// processor a few records at a time, and every batch pays the same overhead (the lock, decoding, metrics, the
// checkpoint check, the sinks' bookkeeping). Holding a fetch until 64 KiB (some 600 readings) or 100 ms have arrived
// keeps batches large; a record waits at most 100 ms longer to be processed.
export const BATCHING_FETCH = { minBytes: 64 * 1024, maxWaitTimeInMs: 100 } as const;
