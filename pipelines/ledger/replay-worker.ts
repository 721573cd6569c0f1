// A worker thread running one shard of a replay (replay-shard.ts): its job in workerData, its progress and then
// its result posted to the replay. An error ends the thread, and the replay with it.
import { parentPort, workerData } from "node:worker_threads";
import type { Config } from "../../ground/config.ts";
import { runShard, type ShardJob } from "./replay-shard.ts";

const { config, job } = workerData as { config: Config; job: ShardJob };
const port = parentPort;
if (!port) throw new Error("replay-worker.ts runs as a worker thread of a replay");
const result = await runShard(config, job, (progress) => port.postMessage({ progress }));
port.postMessage({ result });
