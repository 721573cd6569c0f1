import type { Schema, Type, types } from "avsc";
import { parseSchema } from "./parse-schema.ts";

// Writer type → the reader types it is promoted to (Avro specification, "Schema Resolution").
const PROMOTIONS: Readonly<Record<string, readonly string[]>> = {
  int: ["long", "float", "double"],
  long: ["float", "double"],
  float: ["double"],
  string: ["bytes"],
  bytes: ["string"],
};

/**
 * Whether data written with `older` can be read with `newer` (backward compatibility), by the Avro
 * schema resolution rules: a field the newer schema adds needs a default, a changed type must be a
 * promotion, enum symbols may only go if the newer enum has a default. Returns the problems, each
 * starting with the field path concerned; an empty list means compatible.
 */
export function checkCompatibility(older: Schema, newer: Schema): string[] {
  const problems: string[] = [];
  check(parseSchema(older), parseSchema(newer), "", problems, new Set());
  return problems;
}

function check(writer: Type, reader: Type, path: string, problems: string[], visiting: Set<string>): void {
  if (isUnion(writer)) {
    // Any branch may have been written, so every one must be readable.
    for (const branch of branchesOf(writer)) check(branch, reader, path, problems, visiting);
    return;
  }
  if (isUnion(reader)) {
    // The first reader branch that matches is the one used.
    const branch = branchesOf(reader).find((candidate) => matches(writer, candidate));
    if (branch) check(writer, branch, path, problems, visiting);
    else problems.push(`${at(path)}: ${label(writer)} is not a branch of ${reader.toString()}`);
    return;
  }
  if (!matches(writer, reader)) {
    problems.push(`${at(path)}: ${label(writer)} cannot be read as ${label(reader)}`);
    return;
  }
  switch (writer.typeName) {
    case "record":
      checkRecord(writer as types.RecordType, reader as types.RecordType, path, problems, visiting);
      break;
    case "enum":
      checkEnum(writer as types.EnumType, reader as types.EnumType, path, problems);
      break;
    case "fixed":
      if ((writer as types.FixedType).size !== (reader as types.FixedType).size) {
        problems.push(`${at(path)}: fixed ${label(writer)} changed size`);
      }
      break;
    case "array":
      check(
        (writer as types.ArrayType).itemsType,
        (reader as types.ArrayType).itemsType,
        `${path}[]`,
        problems,
        visiting,
      );
      break;
    case "map":
      check(
        (writer as types.MapType).valuesType,
        (reader as types.MapType).valuesType,
        `${path}{}`,
        problems,
        visiting,
      );
      break;
  }
}

function checkRecord(
  writer: types.RecordType,
  reader: types.RecordType,
  path: string,
  problems: string[],
  visiting: Set<string>,
): void {
  const pair = `${writer.name} ${reader.name}`;
  if (visiting.has(pair)) return; // A recursive type, already being checked further up.
  visiting.add(pair);
  for (const field of reader.fields) {
    const fieldPath = path ? `${path}.${field.name}` : field.name;
    const written = writer.fields.find((w) => w.name === field.name || field.aliases.includes(w.name));
    if (written) check(written.type, field.type, fieldPath, problems, visiting);
    else if (field.defaultValue() === undefined) {
      problems.push(`${fieldPath}: added without a default, so data written before has no value for it`);
    }
  }
  visiting.delete(pair);
}

function checkEnum(writer: types.EnumType, reader: types.EnumType, path: string, problems: string[]): void {
  const hasDefault = (reader as types.EnumType & { default?: string }).default !== undefined;
  const removed = writer.symbols.filter((symbol) => !reader.symbols.includes(symbol));
  if (removed.length > 0 && !hasDefault) {
    problems.push(
      `${at(path)}: enum ${label(reader)} dropped ${removed.join(", ")} and has no default to read them as`,
    );
  }
}

/** Whether `reader` can take a `writer` value at all (same kind and name, or a promotion). */
function matches(writer: Type, reader: Type): boolean {
  if (writer.typeName !== reader.typeName)
    return PROMOTIONS[writer.typeName]?.includes(reader.typeName) ?? false;
  return (
    writer.name === undefined || writer.name === reader.name || (reader.aliases ?? []).includes(writer.name)
  );
}

function isUnion(type: Type): boolean {
  return type.typeName.startsWith("union");
}

function branchesOf(union: Type): readonly Type[] {
  return (union as types.UnwrappedUnionType).types;
}

function label(type: Type): string {
  return type.name ?? type.typeName;
}

function at(path: string): string {
  return path || "(top level)";
}
