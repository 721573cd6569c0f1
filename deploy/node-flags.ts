/**
 * Node flags for every long-running component. A young generation of 64 MB semi-spaces (V8's default is 16 MB):
 * a processor's batch lives across its Kafka and database round trips, so with small semi-spaces most of it
 * survived two scavenges and was promoted, to be collected again by the old generation's mark-compact. Measured
 * with bench/e2e at 10,000 devices, 60 s at a fixed rate, back to back on one stack: at 14,000 readings/s the
 * main-thread GC of the connector 3.8 → 2.4 s, the ledger 3.5 → 2.2 s, the status processor 3.7 → 1.5 s; at 26,000
 * readings/s 16 MB failed (consumers 2.6–3.4 s behind, both cores busy) and 64 MB held (0.1–0.5 s behind). The
 * cost is memory: up to 3 × 48 MB more per process.
 */
export const COMPONENT_NODE_FLAGS = ["--max-semi-space-size=64"] as const;
