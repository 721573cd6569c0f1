import type { Schema, Type } from "avsc";
import avro from "avsc";

/**
 * Parses a schema the one way the whole project uses, so that values look alike everywhere:
 * unions are never wrapped (an optional field is `T | null`; an ambiguous union such as
 * ["int", "long"] is refused at parse time), longs are JS numbers, timestamp-millis stays a long
 * holding epoch milliseconds (no logical type classes are registered), and decoded records are
 * plain data without avsc's helper methods.
 */
export function parseSchema(schema: Schema): Type {
  return avro.Type.forSchema(schema, { wrapUnions: "never", omitRecordMethods: true });
}
