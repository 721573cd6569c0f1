// Field types of HopeCloud JSON. The cloud is loose (numbers sent as strings, "" or null for "none"), so each
// helper accepts what it sends and yields one clean type; anything else fails validation with the field's path.
import { z } from "zod";
import { MAX_TEXT_LENGTH } from "../../limits.ts";

const none = z.union([z.null(), z.literal("")]).transform(() => null);

/** The value, or null when the cloud sent null, "" or nothing at all. */
const orNone = <T extends z.ZodType>(value: T) => z.union([value, none]).default(null);

/** An id as the cloud writes it: a string (19-digit ids exceed a double, so a JSON number would be corrupt). */
export const id = z.string().regex(/^[!-~]{1,190}$/, "expected printable ASCII without spaces");

export const optionalText = orNone(z.string().min(1).max(MAX_TEXT_LENGTH));

/** Codes the cloud sends as a string or a number, e.g. deviceType "707". */
export const optionalCode = orNone(z.union([z.string().min(1), z.number().int().transform(String)]));

const integer = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d{1,15}$/, "expected an integer of at most 15 digits")
    .transform(Number),
]);
export const optionalInteger = orNone(integer);
export const optionalCount = orNone(integer.pipe(z.number().nonnegative()));

/**
 * Far beyond any plant's figure (a petawatt-hour), and small enough that kWh → Wh stays finite: a 400-digit string
 * would otherwise become Infinity, and NaN downstream.
 */
export const MAX_DECIMAL = 1e15;

export const decimal = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^-?\d{1,20}(\.\d{1,20})?$/, "expected a decimal of at most 20 digits on each side of the point")
      .transform(Number),
  ])
  .pipe(z.number().min(-MAX_DECIMAL).max(MAX_DECIMAL));
export const optionalDecimal = orNone(decimal);

export const optionalCoordinate = (limit: number) => orNone(decimal.pipe(z.number().min(-limit).max(limit)));

/** HopeCloud's local wall-clock time, "yyyy-MM-dd HH:mm:ss" in the plant's time zone. */
export const localTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, "expected yyyy-MM-dd HH:mm:ss");
export const optionalLocalTime = orNone(localTime);
