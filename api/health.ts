// Liveness of every dependency, each probe bounded so that /health answers quickly even when one is down.

import type pg from "pg";
import type { Kafka } from "../ground/kafka.ts";

export interface Dependencies {
  kafka: Kafka;
  questdb: pg.Pool;
  postgres: pg.Pool;
  mqttConnected: () => boolean;
}

type Check = { status: "up" | "down"; latency_ms: number; error?: string };

async function timed(probe: () => Promise<unknown>, timeoutMs = 2000): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: "up", latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    return {
      status: "down",
      latency_ms: Math.round(performance.now() - started),
      error: (err as Error).message,
    };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(deps: Dependencies) {
  const admin = deps.kafka.admin();
  const [kafka, questdb, postgres] = await Promise.all([
    timed(async () => {
      await admin.connect();
      try {
        await admin.describeCluster();
      } finally {
        await admin.disconnect();
      }
    }),
    timed(() => deps.questdb.query("SELECT 1")),
    timed(() => deps.postgres.query("SELECT 1")),
  ]);
  const mqtt: Check = { status: deps.mqttConnected() ? "up" : "down", latency_ms: 0 };
  const services = { kafka, questdb, postgres, mqtt };
  const healthy = Object.values(services).every((s) => s.status === "up");
  return { status: healthy ? "healthy" : "degraded", services, timestamp: new Date().toISOString() };
}
