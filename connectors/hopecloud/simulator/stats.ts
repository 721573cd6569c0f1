// What the simulator saw, for tests and for the log: requests per endpoint and the faults it answered with.
export interface SimulatorStats {
  requests: number;
  byPath: Record<string, number>;
  tokensIssued: number;
  unauthorized: number;
  rateLimited: number;
  injectedFailures: number;
}

export const emptyStats = (): SimulatorStats => ({
  requests: 0,
  byPath: {},
  tokensIssued: 0,
  unauthorized: 0,
  rateLimited: 0,
  injectedFailures: 0,
});
