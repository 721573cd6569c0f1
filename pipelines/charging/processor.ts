// The charging processor on the processor runtime (stateless: its state is the rows it writes). A batch: keep each
// station's highest count, then create the points that count says are missing (reconcile, one transaction for the
// batch's stations). A batch is the debounce window: the consumer fetches at most once per window, so a station
// that repeats its count many times is reconciled once per window. Both writes are idempotent, so a batch read
// again after a crash changes nothing that was already done.
import type pg from "pg";
import type { Logger } from "../../ground/logger.ts";
import { TOPICS } from "../../ground/topics.ts";
import { reconcile } from "../registry/charging-reconcile.ts";
import type { Consumed } from "../runtime/consumed.ts";
import type { Processor } from "../runtime/processor.ts";
import { highestPerStation, refuseCount } from "./counts.ts";
import { keepHighest, storedHighest } from "./store.ts";

export function chargingProcessor(pool: pg.Pool, logger: Logger): Processor<"ChargingConnectorCount"> {
  return {
    name: "charging",
    topics: { [TOPICS.connectors]: "ChargingConnectorCount" },
    refuse: (r) => refuseCount(r.record),
    process: (_ctx, records) => processCounts(pool, logger, records),
  };
}

export async function processCounts(
  pool: pg.Pool,
  logger: Logger,
  records: readonly Consumed<"ChargingConnectorCount">[],
): Promise<void> {
  const reported = highestPerStation(records.map((r) => r.record));
  if (reported.length === 0) return;
  const kept = await keepHighest(pool, reported);
  // Every reported station, not only those whose count rose: a station registered since its last report gets its
  // points now. Counts never go down, so neither do the points.
  const counts = await storedHighest(
    pool,
    reported.map((c) => c.station_id),
  );
  const report = await reconcile(pool, counts);
  const created = report.stations.filter((s) => s.add.length > 0);
  for (const s of created)
    logger.info({ station: s.external_id, count: s.count, points: s.add }, "created charging points");
  if (report.not_found.length > 0)
    logger.debug({ stations: report.not_found }, "connector counts of unregistered stations");
  logger.debug({ stations: reported.length, counts_kept: kept, points_created: report.created }, "batch");
}
