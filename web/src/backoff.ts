// How long the live feed waits before its next attempt: 2ⁿ s up to 15 s, then ±25 % so that the clients of a
// restarted API do not all come back in the same instant.
const FIRST_MS = 1000;
const MAX_MS = 15_000;

export const retryDelayMs = (attempt: number, random = Math.random()): number =>
  Math.min(MAX_MS, FIRST_MS * 2 ** attempt) * (0.75 + random * 0.5);
