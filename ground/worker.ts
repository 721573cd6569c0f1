// Worker threads running TypeScript modules. Node 20's loader hooks (tsx, which runs the sources without a build)
// do not carry over to a worker; registering them in each worker and loading every source through them took a
// replay's two workers 1.2 s before their first read. So a worker's module is bundled once per process with esbuild
// (which tsx runs on too): its sources in one ES module, each with its own file's `import.meta.url`, packages
// imported from where this process resolves them, loaded without hooks.
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { build, type Plugin } from "esbuild";

const bundles = new Map<string, Promise<URL>>();

export async function startWorker(module: URL, workerData: unknown): Promise<Worker> {
  let bundle = bundles.get(module.href);
  if (bundle === undefined) {
    bundle = bundleOf(module);
    bundles.set(module.href, bundle);
    bundle.catch(() => bundles.delete(module.href));
  }
  return new Worker(await bundle, { workerData });
}

async function bundleOf(module: URL): Promise<URL> {
  const { outputFiles } = await build({
    entryPoints: [fileURLToPath(module)],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    write: false,
    logLevel: "silent",
    plugins: [ownUrls, packagesByUrl],
  });
  const code = outputFiles[0]?.text;
  if (code === undefined) throw new Error(`esbuild made no bundle of ${module.href}`);
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/** Each source keeps its own `import.meta.url` (to find files beside it), not the bundle's. */
const ownUrls: Plugin = {
  name: "own-urls",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async ({ path }) => ({
      contents: (await readFile(path, "utf8")).replaceAll(
        "import.meta.url",
        JSON.stringify(pathToFileURL(path).href),
      ),
      loader: "ts",
    }));
  },
};

/** Packages stay imports, by absolute URL: a module loaded from a data: URL cannot resolve a bare name. */
const packagesByUrl: Plugin = {
  name: "packages-by-url",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, ({ path }) => ({
      path: path.startsWith("node:") ? path : import.meta.resolve(path),
      external: true,
    }));
  },
};
