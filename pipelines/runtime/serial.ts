// Runs async tasks one at a time, in call order, for work that shares a client which is not safe to use
// concurrently (a QuestDB sender's buffer).
export function serial(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task);
    tail = run.catch(() => {});
    return run;
  };
}
