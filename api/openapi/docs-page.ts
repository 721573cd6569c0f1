// /docs: the OpenAPI document as one self-contained HTML page (no script, nothing fetched), grouped by tag, each
// operation with its role, parameters and request/response schemas.
import type { OpenApiDocument } from "./document.ts";

const html = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  "x-wattline-role": string;
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
}

const schemaBlock = (label: string, schema: unknown) =>
  schema === undefined
    ? ""
    : `<details><summary>${html(label)}</summary><pre>${html(JSON.stringify(schema, null, 2))}</pre></details>`;

function operationHtml(method: string, path: string, op: Operation): string {
  const params = (op.parameters ?? [])
    .map(
      (p) =>
        `<li><code>${html(p.name)}</code> (${html(p.in)}${p.required ? ", required" : ""}) ` +
        `<code>${html(JSON.stringify(p.schema))}</code>${p.description ? ` — ${html(p.description)}` : ""}</li>`,
    )
    .join("");
  const responses = Object.entries(op.responses)
    .map(([status, r]) => `<code>${html(status)}</code> ${html(r.description)}`)
    .join("; ");
  const success = Object.entries(op.responses).find(([status]) => status.startsWith("2"));
  return `<section id="${html(op.operationId)}">
<h3><span class="m ${html(method)}">${html(method.toUpperCase())}</span> <code>${html(path)}</code></h3>
<p>${html(op.summary)} <em>(role: ${html(op["x-wattline-role"])})</em></p>
${op.description ? `<p>${html(op.description)}</p>` : ""}
${params ? `<ul>${params}</ul>` : ""}
${schemaBlock("request body", op.requestBody?.content["application/json"]?.schema)}
${schemaBlock("response body", success?.[1].content?.["application/json"]?.schema)}
<p class="r">${responses}</p>
</section>`;
}

export function docsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(methods) as [string, Operation][]) {
      const tag = op.tags[0] ?? "other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(method, path, op)]);
    }
  }
  const toc = [...byTag.keys()].map((tag) => `<a href="#tag-${html(tag)}">${html(tag)}</a>`).join(" · ");
  const sections = [...byTag]
    .map(([tag, ops]) => `<h2 id="tag-${html(tag)}">${html(tag)}</h2>\n${ops.join("\n")}`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(doc.info.title)} ${html(doc.info.version)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.4rem 0}h3{font-size:1rem;margin:.4rem 0}
.m{display:inline-block;min-width:4.2rem;text-align:center;border-radius:3px;color:#fff;font-size:.8rem;padding:1px 4px}
.get{background:#2b6cb0}.post{background:#2f855a}.patch{background:#b7791f}.put{background:#6b46c1}.delete{background:#c53030}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:.8rem}.r{color:#555;font-size:.85rem}
</style></head><body>
<h1>${html(doc.info.title)} <small>${html(doc.info.version)}</small></h1>
<p>${html(doc.info.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${html(doc.openapi)}).</p>
<nav>${toc}</nav>
${sections}
</body></html>`;
}
