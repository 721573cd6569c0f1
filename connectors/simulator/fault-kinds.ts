// The faults the simulator can inject: what the fault injector (faults.ts) rolls and what a message carries as
// ground truth (messages.ts). A file of its own so that neither of those imports the other.
export const FAULT_KINDS = ["reset", "reboot", "dip", "glitch", "gap", "duplicate", "out_of_order"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
