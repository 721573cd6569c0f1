// Registry file text → a validated RegistryFile, or problems that each name where they are:
// `config.yaml:12:24: sites[0].systems[1].inverters[2].rated_power_w: Too small: expected number to be >0`.
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import { checkReferences, formatPath, type Path } from "./config-references.ts";
import { type RegistryFile, registryFileSchema } from "./config-schema.ts";

export type ParseResult = { ok: true; file: RegistryFile } | { ok: false; problems: string[] };

/** Offset of the node at `path`, or of its nearest ancestor that exists (a missing field points at its parent). */
function offsetOf(doc: Document, path: Path): number {
  for (let p = path; p.length > 0; p = p.slice(0, -1)) {
    const node = doc.getIn(p, true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return isNode(doc.contents) && doc.contents.range ? doc.contents.range[0] : 0;
}

/** Offset of the key `name` in the mapping at `path` (for a field that should not be there). */
function keyOffset(doc: Document, path: Path, name: string): number {
  const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
  const pair = isMap(map) ? map.items.find((p) => isScalar(p.key) && p.key.value === name) : undefined;
  return isScalar(pair?.key) && pair.key.range ? pair.key.range[0] : offsetOf(doc, path);
}

function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const p of path)
    value = value !== null && typeof value === "object" ? Reflect.get(value, p) : undefined;
  return value;
}

const described = (path: Path) => (path.length === 0 ? "(file)" : formatPath(path));

export function parseRegistryFile(text: string, name: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${name}:${line}:${col}`;
  };
  if (doc.errors.length > 0)
    return { ok: false, problems: doc.errors.map((e) => `${at(e.pos[0])}: ${e.message}`) };
  if (doc.contents === null) return { ok: false, problems: [`${name}:1:1: the file is empty`] };

  // Problems are listed in file order, whatever order the checks found them in.
  const report = (found: { offset: number; path: Path; message: string }[]): ParseResult => ({
    ok: false,
    problems: found
      .sort((a, b) => a.offset - b.offset)
      .map((p) => `${at(p.offset)}: ${described(p.path)}: ${p.message}`),
  });
  const value: unknown = doc.toJS();
  const parsed = registryFileSchema.safeParse(value);
  if (!parsed.success)
    return report(
      parsed.error.issues.flatMap((issue) => {
        const path = issue.path.filter((p) => typeof p !== "symbol");
        if (issue.code === "unrecognized_keys")
          return issue.keys.map((k) => ({
            offset: keyOffset(doc, path, k),
            path: [...path, k],
            message: "unknown field",
          }));
        const missing = issue.code === "invalid_type" && valueAt(value, path) === undefined;
        return [{ offset: offsetOf(doc, path), path, message: missing ? "required" : issue.message }];
      }),
    );
  const issues = checkReferences(parsed.data);
  if (issues.length > 0) return report(issues.map((i) => ({ ...i, offset: offsetOf(doc, i.path) })));
  return { ok: true, file: parsed.data };
}
