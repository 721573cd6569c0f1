// Fencing: a partition's transactional id is initialised by each new owner, which bumps its epoch; the broker then
// refuses every write of an older owner (a paused instance that lost the partition) with one of these errors.
export class FencedError extends Error {
  constructor(
    readonly partition: number,
    options?: { cause?: unknown },
  ) {
    super(`partition ${partition}: another instance took over this partition (producer fenced)`, options);
    this.name = "FencedError";
  }
}

/** kafkajs names the error by type when it knows the code; PRODUCER_FENCED (90) is newer than kafkajs 2.2. */
const FENCED_TYPES = new Set(["INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED"]);
const FENCED_CODES = new Set([47, 90]);

/** Whether a Kafka error (or one it wraps, as kafkajs's retry and aggregate errors do) says this producer was fenced. */
export function isFenced(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 8) return false;
  if (err instanceof FencedError) return true;
  const { type, code, cause, errors } = err as {
    type?: unknown;
    code?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof type === "string" && FENCED_TYPES.has(type)) return true;
  if (typeof code === "number" && FENCED_CODES.has(code)) return true;
  if (Array.isArray(errors) && errors.some((e) => isFenced(e, depth + 1))) return true;
  return isFenced(cause, depth + 1);
}

/**
 * Whether a Kafka error (or one it wraps) says the broker was still finishing this producer's previous
 * transaction (CONCURRENT_TRANSACTIONS, 51): its markers are being written, and the next one can start shortly.
 * kafkajs does not retry it on AddOffsetsToTxn, and a checkpoint right after another one meets it often.
 */
export function isConcurrentTransaction(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 8) return false;
  const { type, code, cause, errors } = err as {
    type?: unknown;
    code?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (type === "CONCURRENT_TRANSACTIONS" || code === 51) return true;
  if (Array.isArray(errors) && errors.some((e) => isConcurrentTransaction(e, depth + 1))) return true;
  return isConcurrentTransaction(cause, depth + 1);
}
