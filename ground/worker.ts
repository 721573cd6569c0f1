// Worker threads running TypeScript modules. Node's loader hooks (tsx, which runs the sources without a build) do
// not carry over to a worker, so each worker registers tsx itself before it imports its module.
import { Worker } from "node:worker_threads";

export function startWorker(module: URL, workerData: unknown): Worker {
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import { register } from ${JSON.stringify(tsx)};
register();
await import(${JSON.stringify(module.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData });
}
