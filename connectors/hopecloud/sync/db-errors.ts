// Tells a database that is unavailable or busy (retrying later will help) from a row it refuses (retrying the same
// row cannot help, so the row is reported and the rest goes on).

const TRANSIENT_CLASSES = new Set(["08", "40", "53", "57", "58"]);

/**
 * Connection errors (no SQLSTATE), and SQLSTATE classes 08 (connection), 40 (serialization, deadlock), 53
 * (resources), 57 (operator intervention, e.g. shutdown), 58 (system). A unique violation counts too: on
 * communication_modules only two writers inserting the same new module cause it, and a retry finds the row.
 */
export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return TRANSIENT_CLASSES.has(code.slice(0, 2)) || code === "23505";
}

export function describeDbError(e: unknown): string {
  const { message, detail, constraint } = e as { message?: string; detail?: string; constraint?: string };
  return [message ?? String(e), constraint && `constraint ${constraint}`, detail].filter(Boolean).join("; ");
}
