import type { Type, types } from "avsc";
import { CodecError } from "./errors.ts";

const STRICT = { noUndeclaredFields: true };

/**
 * Throws `invalid_record` naming every bad field path unless `value` is valid for `type`. Fields
 * the schema does not declare are refused too: they would be dropped silently, usually a typo.
 */
export function assertValid(type: Type, value: unknown, recordName: string): void {
  // Fast path: no hook, no allocation; paths are only collected for the rare invalid record.
  if (type.isValid(value, STRICT)) return;
  const problems: string[] = [];
  const fields: string[] = [];
  type.isValid(value, {
    noUndeclaredFields: true,
    errorHook(path, actual, actualType) {
      for (const [field, problem] of describe(path, actual, actualType)) {
        fields.push(field);
        problems.push(`${field}: ${problem}`);
      }
    },
  });
  throw new CodecError("invalid_record", `invalid ${recordName}: ${problems.join("; ")}`, fields);
}

function describe(path: string[], actual: unknown, expected: Type): [string, string][] {
  const at = path.join(".");
  if (expected.typeName === "record" && isObject(actual)) {
    // The record itself is flagged when it carries undeclared fields.
    const declared = new Set((expected as types.RecordType).fields.map((field) => field.name));
    return Object.keys(actual)
      .filter((key) => !declared.has(key))
      .map((key) => [at ? `${at}.${key}` : key, "not a field of the schema"]);
  }
  return [[at || "(record)", `expected ${expected.name ?? expected.toString()}, got ${show(actual)}`]];
}

function show(value: unknown): string {
  if (value === undefined) return "nothing (missing)";
  if (value === null) return "null";
  if (typeof value === "string") {
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  }
  if (typeof value !== "object") return `${typeof value} ${String(value)}`;
  if (Buffer.isBuffer(value)) return "a Buffer";
  return Array.isArray(value) ? "an array" : "an object";
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Buffer.isBuffer(value);
}
