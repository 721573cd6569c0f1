// The import directions README.md's "Architecture" states, checked by `npm run deps` (and so by CI).
//
// Layers, lowest first: a module imports its own layer and the layers below it, never one above.
//   ground ← schemas ← pipelines/core ← pipelines ← connectors ← api ← web ← deploy ← bin
// web/ is the browser app and its build: deploy builds it, and it imports nothing of the server's (rule below).
// test/ and bench/ may import anything; nothing imports them. No cycles anywhere.
const LAYERS = [
  { name: "ground", path: "^ground/", is: "config, logs, lifecycle, metrics, clients, topics" },
  { name: "schemas", path: "^schemas/", is: "Avro, QuestDB tables, Postgres migrations, codecs" },
  { name: "pipelines-core", path: "^pipelines/core/", is: "the pure energy core" },
  { name: "pipelines", path: "^pipelines/(?!core/)", is: "the processor runtime, processors, commands" },
  { name: "connectors", path: "^connectors/", is: "sources into Kafka, the simulators" },
  { name: "api", path: "^api/", is: "the Hono app" },
  { name: "web", path: "^web/", is: "the browser app (web/src) and its build" },
  { name: "deploy", path: "^deploy/", is: "the local stack, starting everything" },
  { name: "bin", path: "^bin/", is: "the command line" },
];
const TOOLS = "^(test|bench)/";

const layerRules = LAYERS.map((layer, i) => ({
  name: `layer-${layer.name}`,
  comment: `${layer.name} (${layer.is}) imports only ${LAYERS.slice(0, i + 1)
    .map((l) => l.name)
    .join(", ")}`,
  severity: "error",
  from: { path: layer.path },
  to: { path: [...LAYERS.slice(i + 1).map((l) => l.path), TOOLS] },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "core-is-pure",
      comment:
        "pipelines/core is pure functions: it imports itself, luxon and zod, nothing else (no ground, no client library, no node: module)",
      severity: "error",
      from: { path: "^pipelines/core/" },
      to: { pathNot: ["^pipelines/core/", "^node_modules/(luxon|@types/luxon|zod)/"] },
    },
    {
      name: "runtime-knows-no-processor",
      comment:
        "pipelines/runtime is the shell every processor shares: it imports no processor and not the core",
      severity: "error",
      from: { path: "^pipelines/runtime/" },
      to: { path: "^pipelines/(?!runtime/)" },
    },
    {
      name: "clients-behind-ground",
      comment:
        "kafkajs and the QuestDB client are used through ground/kafka.ts and ground/questdb.ts only (deploy/stack probes the brokers it starts; tests and benchmarks may use them directly)",
      severity: "error",
      from: { pathNot: ["^ground/", "^deploy/stack/", TOOLS] },
      to: { path: "^node_modules/(kafkajs|@questdb/nodejs-client)/" },
    },
    {
      name: "web-is-browser-code",
      comment:
        "web/src runs in the browser: it imports itself and uPlot only (the API's shapes are its own types, never server code)",
      severity: "error",
      from: { path: "^web/src/" },
      to: { pathNot: ["^web/src/", "^node_modules/uplot/"] },
    },
    {
      name: "web-build-is-standalone",
      comment: "web/build.ts needs esbuild and node: modules, nothing of the server's layers",
      severity: "error",
      from: { path: "^web/" },
      to: { path: "^(ground|schemas|pipelines|connectors|api)/" },
    },
    {
      name: "no-circular",
      comment: "no import cycles, type-only imports included",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment: "every import resolves",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(\\.wattline|docs)/" },
    // `import type` counts: a type-only import is a dependency between layers as much as any other.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "types", "default"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
