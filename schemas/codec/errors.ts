/** Why a message could not be encoded or decoded; stable strings, usable as a dead-letter reason. */
export type CodecErrorCode =
  | "bad_marker"
  | "unknown_fingerprint"
  | "truncated"
  | "trailing_bytes"
  | "corrupt_body"
  | "unknown_record"
  | "invalid_record";

export class CodecError extends Error {
  override readonly name = "CodecError";

  constructor(
    readonly code: CodecErrorCode,
    message: string,
    /** For invalid_record: the offending field paths, e.g. ["power_w", "tags.0"]. */
    readonly fields: readonly string[] = [],
  ) {
    super(message);
  }
}
