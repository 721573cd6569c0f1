// Why a partition task stopped: the stage tells the runtime what to do. A processor's own failure (init, process,
// punctuate) drops the partition's memory and reads it again from the last checkpoint; a checkpoint that fails
// (flush or transaction) ends the process, since what was written and what was not cannot be known.
import { isFenced } from "./fenced.ts";

export type TaskStage = "open" | "process" | "punctuate" | "checkpoint";

export class TaskError extends Error {
  readonly fenced: boolean;

  constructor(
    readonly partition: number,
    readonly stage: TaskStage,
    cause: unknown,
  ) {
    super(`partition ${partition}: ${stage} failed: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
    this.name = "TaskError";
    this.fenced = isFenced(cause);
  }
}
