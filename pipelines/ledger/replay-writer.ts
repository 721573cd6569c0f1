// The rows of a replay, written to QuestDB in large chunks: the readings and ledger rows of each shard as they are
// made, and the hourly and daily rows (with anomalies' retractions) at the end.
import type { IlpBody, IlpPoster } from "../../ground/ilp.ts";
import type { TelemetryReading } from "../../schemas/generated/types.ts";
import type { Anomaly, LedgerEntry } from "../core/outputs.ts";
import { writeLedgerRow, writeReadingRow } from "./energy-rows.ts";
import type { RowHead } from "./row-heads.ts";
import { LedgerRows } from "./sink.ts";

/**
 * Rows per chunk, about half of them per ILP request (one WAL transaction, some 7 MB): QuestDB merges fewer,
 * larger transactions into a day's partition with less work (measured: a day of 2,000 devices took it 20 s of
 * CPU in requests of 5,000 rows, 13 s in requests of 50,000).
 */
const CHUNK_ROWS = 100_000;

/**
 * The rows of a replay, sent every CHUNK_ROWS rows so that they never pile up; without a poster, only counted.
 *
 * `readings` and `ledger` rows, one each per reading, go straight into request bodies in the order they are made:
 * QuestDB keeps the last of the rows with one key, within a request as across requests, so this stores what a
 * map by key would, without a key string and a map entry per row. Anomalies, hours and days are keyed (`rows`),
 * as the change report and retraction need them, and go with the ledger rows.
 *
 * Readings and the rest are sent in two lanes, each one request at a time, so each table's WAL transactions keep
 * their order; the lanes run side by side (QuestDB takes two requests on two threads nearly twice as fast) while
 * the next chunk is computed.
 */
export class ChunkedWriter {
  /** Rows written per table: `readings` and `ledger` as sent. */
  readonly counts = { readings: 0, ledger: 0, anomalies: 0, hourly: 0, daily: 0 };
  rows = new LedgerRows();
  #lanes: { readings: Lane; ledger: Lane } | undefined;
  /** Rows sent straight into the bodies since the last chunk. */
  #streamed = 0;

  #poster: IlpPoster | undefined;

  open(poster: IlpPoster): void {
    this.#poster = poster;
    this.#lanes = { readings: new Lane(poster), ledger: new Lane(poster) };
  }

  reading(r: TelemetryReading, heads: DeviceHeads): void {
    this.counts.readings++;
    this.#streamed++;
    if (this.#lanes) writeReadingRow(this.#lanes.readings.body, r, heads.readings);
  }

  ledger(e: LedgerEntry | Anomaly, heads: DeviceHeads): void {
    this.counts.ledger++;
    this.#streamed++;
    if (this.#lanes) writeLedgerRow(this.#lanes.ledger.body, e, heads.ledger);
  }

  async maybeFlush(): Promise<void> {
    if (this.#streamed + this.rows.size >= CHUNK_ROWS) await this.#send();
  }

  /** Sends what is held and waits until every row sent is written. */
  async flush(): Promise<void> {
    await this.#send();
    await this.settled();
  }

  /**
   * Waits for the requests in flight and closes the connections. A failed request is `flush`'s to report (a
   * replay that gets this far without an error has flushed); here it would hide the error that ended the replay.
   */
  async close(): Promise<void> {
    await this.settled().catch(() => {});
    this.#poster?.close();
  }

  /** Waits for the requests in flight; throws the error of one that failed. */
  async settled(): Promise<void> {
    if (!this.#lanes) return;
    await Promise.all([this.#lanes.readings.settled(), this.#lanes.ledger.settled()]);
  }

  async #send(): Promise<void> {
    const r = this.rows;
    this.rows = new LedgerRows();
    this.#streamed = 0;
    this.counts.anomalies += r.anomalies.size;
    this.counts.hourly += r.hours.size;
    this.counts.daily += r.days.size;
    if (!this.#lanes) return;
    await r.writeTo(this.#lanes.ledger.body);
    await this.#lanes.readings.send();
    await this.#lanes.ledger.send();
  }
}

/** Request bodies sent one after another: each waits for the one before it to be written. */
class Lane {
  body: IlpBody;
  #sending: Promise<void> = Promise.resolve();
  #failed: { error: unknown } | undefined;

  constructor(private readonly poster: IlpPoster) {
    this.body = poster.body();
  }

  /** Waits until the previous body is written, then sends this one (without waiting for it). */
  async send(): Promise<void> {
    if (this.body.rows === 0) return;
    const request = this.body.take();
    await this.settled();
    // A failure is caught at once (an unhandled rejection would end the process) and rethrown by `settled`.
    this.#sending = this.poster.post(request).then(
      () => this.body.recycle(request),
      (error: unknown) => {
        this.#failed = { error };
      },
    );
  }

  async settled(): Promise<void> {
    await this.#sending;
    if (this.#failed) throw this.#failed.error;
  }
}

/** A device's `readings` and `ledger` row heads. */
export interface DeviceHeads {
  readings: RowHead;
  ledger: RowHead;
}
