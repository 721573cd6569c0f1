// Group commit: items handed in while a group is being applied, or within `windowMs` of the last group's start,
// are applied together in the next group, and every caller's promise settles with its group. For work whose cost
// is mostly per unit rather than per item (a Postgres transaction upserting each device's row once, an ILP request
// that is one WAL transaction per table), so that a faster input makes larger groups instead of more of them.
import { serial } from "./serial.ts";

export interface GroupCommitOptions {
  /** The least time between the starts of two groups; 0 starts the next one as soon as the last ends. */
  windowMs: number;
  /** Runs a group; groups run through it one at a time, in order. Shared to serialise other work with the groups. */
  exclusive?: <T>(task: () => Promise<T>) => Promise<T>;
  now?: () => number;
}

export function groupCommit<T>(
  apply: (items: T[]) => Promise<void>,
  { windowMs, exclusive = serial(), now = Date.now }: GroupCommitOptions,
): (items: readonly T[]) => Promise<void> {
  let queued: T[] = [];
  let next: Promise<void> | undefined;
  let lastStart = Number.NEGATIVE_INFINITY;
  return (items) => {
    for (const item of items) queued.push(item);
    next ??= exclusive(async () => {
      const wait = lastStart + windowMs - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lastStart = now();
      const group = queued;
      queued = [];
      next = undefined;
      await apply(group);
    });
    return next;
  };
}
