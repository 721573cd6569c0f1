// Builds the web app (web/src) into web/dist with esbuild: one script, one stylesheet and the page, minified, with
// no reference to another host. Prints each file's size and its gzipped size. `npm start`, the web tests and
// `npm run build:web` call it; the API serves what it wrote (api/app-assets.ts).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const SOURCE = join(import.meta.dirname, "src");
const DIST = join(import.meta.dirname, "dist");

export interface Asset {
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** Writes a file whole (a temporary name, then a rename), so that a running API never serves half of one. */
function writeWhole(path: string, contents: Uint8Array | string): void {
  writeFileSync(`${path}.tmp`, contents);
  renameSync(`${path}.tmp`, path);
}

export async function buildWeb(outDir = DIST): Promise<Asset[]> {
  const result = await build({
    entryPoints: { app: join(SOURCE, "main.ts") },
    bundle: true,
    minify: true,
    format: "esm",
    target: ["chrome110", "firefox110", "safari16"],
    outdir: outDir,
    write: false,
    logLevel: "silent",
    legalComments: "none",
  });
  mkdirSync(outDir, { recursive: true });
  const files = [
    ...result.outputFiles.map((f) => ({ name: basename(f.path), contents: f.contents })),
    { name: "index.html", contents: readFileSync(join(SOURCE, "index.html")) },
  ];
  for (const f of files) writeWhole(join(outDir, f.name), f.contents);
  return files.map((f) => ({
    file: f.name,
    bytes: f.contents.byteLength,
    gzipBytes: gzipSync(f.contents, { level: 9 }).byteLength,
  }));
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

export function formatSizes(assets: readonly Asset[]): string {
  const lines = assets.map(
    (a) => `  ${a.file.padEnd(12)} ${kB(a.bytes).padStart(9)}  ${kB(a.gzipBytes)} gzipped`,
  );
  const gz = assets.reduce((sum, a) => sum + a.gzipBytes, 0);
  return `web app built (${kB(gz)} gzipped in all):\n${lines.join("\n")}\n`;
}
