// Field types of HopeCloud JSON. The cloud is loose (numbers sent as strings, "" or null for "none"), so each
// helper accepts what it sends and yields one clean type; anything else fails validation with the field's path.
import { z } from "zod";

const none = z.union([z.null(), z.literal("")]).transform(() => null);

/** The value, or null when the cloud sent null, "" or nothing at all. */
const orNone = <T extends z.ZodType>(value: T) => z.union([value, none]).default(null);

/** An id as the cloud writes it: a string (19-digit ids exceed a double, so a JSON number would be corrupt). */
export const id = z.string().regex(/^[!-~]{1,190}$/, "expected printable ASCII without spaces");

export const optionalText = orNone(z.string().min(1));

/** Codes the cloud sends as a string or a number, e.g. deviceType "707". */
export const optionalCode = orNone(z.union([z.string().min(1), z.number().int().transform(String)]));

const integer = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
export const optionalInteger = orNone(integer);
export const optionalCount = orNone(integer.pipe(z.number().nonnegative()));

export const decimal = z.union([
  z.number().finite(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);
export const optionalDecimal = orNone(decimal);

export const optionalCoordinate = (limit: number) => orNone(decimal.pipe(z.number().min(-limit).max(limit)));

/** HopeCloud's local wall-clock time, "yyyy-MM-dd HH:mm:ss" in the plant's time zone. */
export const localTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, "expected yyyy-MM-dd HH:mm:ss");
export const optionalLocalTime = orNone(localTime);
