// A raw reading, parsed and validated. Hand-written rather than a zod schema: it runs once per input line, and
// each rejection names the field and the rule it broke.
import { daysFromCivil, MS_PER_DAY } from "./civil.ts";

export interface Reading {
  device_id: string;
  /** Epoch milliseconds. */
  ts: number;
  energy_wh_total: number;
  power_w?: number;
  boot_id?: string;
  seq?: number;
}

/** A valid reading, or the reason the input is not one (a plain string: no wrapper object per line). */
export type Parsed = Reading | string;

const MAX_EPOCH_MS = 8.64e15;
const BAD_ISO = "ts: not an ISO-8601 date-time";
const NO_OFFSET = "ts: no time-zone offset (add Z or ±hh:mm)";
const OUT_OF_RANGE = "ts: date-time or offset out of range";
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch milliseconds of a `ts` field, or the reason it is not one. Strings must be ISO-8601 extended format,
 * `YYYY-MM-DDThh:mm[:ss[.fff…]]` with `Z` or an offset (±hh:mm, ±hhmm or ±hh). Parsed by character rather than
 * with a regular expression or Date.parse: it runs for every reading, and Date.parse accepts 30 February.
 */
export function parseTimestamp(ts: unknown): number | string {
  if (typeof ts === "number") {
    return Number.isFinite(ts) && Math.abs(ts) <= MAX_EPOCH_MS ? ts : "ts: epoch milliseconds out of range";
  }
  if (typeof ts !== "string") return "ts: must be an ISO-8601 string or epoch milliseconds";
  const n = ts.length;
  if (n < 16) return BAD_ISO;
  const year = digits(ts, 0, 4);
  const month = digits(ts, 5, 2);
  const day = digits(ts, 8, 2);
  const hour = digits(ts, 11, 2);
  const minute = digits(ts, 14, 2);
  const t = ts.charCodeAt(10);
  if (
    year < 0 ||
    month < 0 ||
    day < 0 ||
    hour < 0 ||
    minute < 0 ||
    ts.charCodeAt(4) !== 45 || // -
    ts.charCodeAt(7) !== 45 ||
    (t !== 84 && t !== 116 && t !== 32) || // T, t or space
    ts.charCodeAt(13) !== 58 // :
  ) {
    return BAD_ISO;
  }
  let i = 16;
  let second = 0;
  let ms = 0;
  if (ts.charCodeAt(i) === 58) {
    second = digits(ts, i + 1, 2);
    if (second < 0) return BAD_ISO;
    i += 3;
    const c = ts.charCodeAt(i);
    if (c === 46 || c === 44) {
      // . or , then at least one digit; beyond milliseconds the digits are dropped.
      let scale = 100;
      let j = i + 1;
      for (; j < n && isDigit(ts.charCodeAt(j)); j++) {
        ms += (ts.charCodeAt(j) - 48) * scale;
        scale /= 10;
      }
      if (j === i + 1) return BAD_ISO;
      ms = Math.floor(ms);
      i = j;
    }
  }
  let offset = 0;
  const z = ts.charCodeAt(i);
  if (z === 90 || z === 122) {
    // Z or z
    if (i + 1 !== n) return BAD_ISO;
  } else if (z === 43 || z === 45) {
    // + or -: ±hh, ±hhmm or ±hh:mm
    const rest = n - i - 1;
    const oh = digits(ts, i + 1, 2);
    const om = rest === 2 ? 0 : rest === 4 ? digits(ts, i + 3, 2) : rest === 5 ? digits(ts, i + 4, 2) : -1;
    if (oh < 0 || om < 0 || (rest === 5 && ts.charCodeAt(i + 3) !== 58)) return BAD_ISO;
    if (oh > 23 || om > 59) return OUT_OF_RANGE;
    offset = (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
  } else {
    return i === n ? NO_OFFSET : BAD_ISO;
  }
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > (MONTH_DAYS[month - 1] as number) + leap ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return OUT_OF_RANGE;
  }
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offset
  );
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The number written by `count` decimal digits at `at`, or -1 when one of them is not a digit. */
function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let k = at; k < at + count; k++) {
    const c = s.charCodeAt(k);
    if (!isDigit(c)) return -1;
    v = v * 10 + c - 48;
  }
  return v;
}

/** Validates one decoded JSON value. A `null` optional field counts as absent. */
export function parseReading(value: unknown): Parsed {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "not a JSON object";
  }
  const v = value as Record<string, unknown>;
  const { device_id, energy_wh_total, power_w, boot_id, seq } = v;
  if (device_id === undefined) return "device_id: missing";
  if (typeof device_id !== "string" || device_id.length === 0) {
    return "device_id: must be a non-empty string";
  }
  if (v.ts === undefined) return "ts: missing";
  const ts = parseTimestamp(v.ts);
  if (typeof ts === "string") return ts;
  if (energy_wh_total === undefined) return "energy_wh_total: missing";
  if (typeof energy_wh_total !== "number") return "energy_wh_total: must be a number";
  if (!Number.isFinite(energy_wh_total)) return "energy_wh_total: must be finite";
  if (energy_wh_total < 0) return "energy_wh_total: must not be negative";
  const reading: Reading = { device_id, ts, energy_wh_total };
  if (power_w !== undefined && power_w !== null) {
    if (typeof power_w !== "number" || !Number.isFinite(power_w)) {
      return "power_w: must be a finite number";
    }
    reading.power_w = power_w;
  }
  if (boot_id !== undefined && boot_id !== null) {
    if (typeof boot_id !== "string") return "boot_id: must be a string";
    reading.boot_id = boot_id;
  }
  if (seq !== undefined && seq !== null) {
    if (!Number.isInteger(seq)) return "seq: must be an integer";
    reading.seq = seq as number;
  }
  return reading;
}

/** Parses one input line (NDJSON). */
export function parseReadingLine(line: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "not valid JSON";
  }
  return parseReading(value);
}
