// Where the group routes get their rows from the group views (energy_daily_groups, energy_hourly_groups). A dashboard
// fleet asks the same few groups and ranges over and over, and the views change only when QuestDB applies a
// transaction to them, which their writer's transaction number (`wal_tables()`) tells. The versioned source keeps
// each statement's rows for as long as neither view has applied anything newer: a background poll reads the two
// numbers every `pollMs` and forgets every kept answer when one moves. An answer is thus at most one poll older than
// the view itself. Concurrent asks of the same statement share one query. When the poll fails, nothing is kept.
import type pg from "pg";
import { Counter } from "prom-client";
import type { Logger } from "../../ground/logger.ts";
import { registry } from "../../ground/metrics.ts";

const asks = new Counter({
  name: "wattline_api_group_rows_total",
  help: "Group-view statements asked by the API, per answer: kept (from an earlier query) or queried",
  labelNames: ["answer"],
  registers: [registry],
});

export interface Statement {
  text: string;
  values: unknown[];
}

export interface GroupRows {
  /** The statement's rows; callers must not change them (they may be shared). */
  rows<T extends pg.QueryResultRow>(statement: Statement): Promise<readonly T[]>;
}

/** Every ask is a query. */
export const directGroupRows = (questdb: pg.Pool): GroupRows => ({
  async rows<T extends pg.QueryResultRow>(statement: Statement) {
    return (await questdb.query<T>(statement)).rows;
  },
});

const VERSION_SQL =
  "SELECT name, writerTxn FROM wal_tables() WHERE name IN ('energy_daily_groups', 'energy_hourly_groups')";

export interface VersionedGroupRowsOptions {
  pollMs: number;
  /** Statements kept at most; the least recently asked go first. */
  maxEntries?: number;
  logger?: Logger;
}

export class VersionedGroupRows implements GroupRows {
  readonly #kept = new Map<string, Promise<readonly pg.QueryResultRow[]>>();
  readonly #maxEntries: number;
  /** The views' transaction numbers as last read; undefined until read, and after a failed poll. */
  #version: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;

  constructor(
    private readonly questdb: pg.Pool,
    private readonly options: VersionedGroupRowsOptions,
  ) {
    this.#maxEntries = options.maxEntries ?? 2000;
  }

  /** Reads the version once, then every `pollMs`. */
  async start(): Promise<void> {
    await this.#poll();
    this.#timer = setInterval(() => {
      this.#polling ??= this.#poll();
    }, this.options.pollMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#polling;
    this.#kept.clear();
  }

  async rows<T extends pg.QueryResultRow>(statement: Statement): Promise<readonly T[]> {
    const key = `${statement.text}\u0000${JSON.stringify(statement.values)}`;
    const kept = this.#version === undefined ? undefined : this.#kept.get(key);
    asks.inc({ answer: kept === undefined ? "queried" : "kept" });
    if (this.#version === undefined) return (await this.questdb.query<T>(statement)).rows;
    if (kept !== undefined) {
      // Asked again: it moves to the end, the most recently asked.
      this.#kept.delete(key);
      this.#kept.set(key, kept);
      return kept as Promise<readonly T[]>;
    }
    const answer = this.questdb.query<T>(statement).then((r) => r.rows);
    this.#kept.set(key, answer);
    if (this.#kept.size > this.#maxEntries) this.#kept.delete(this.#kept.keys().next().value as string);
    // A failed query is not kept. One whose views moved on while it ran is gone already: the poll cleared the map.
    answer.catch(() => {
      if (this.#kept.get(key) === answer) this.#kept.delete(key);
    });
    return answer;
  }

  async #poll(): Promise<void> {
    try {
      const { rows } = await this.questdb.query<{ name: string; writerTxn: string }>(VERSION_SQL);
      const version = rows
        .map((r) => `${r.name}:${r.writerTxn}`)
        .sort()
        .join(",");
      if (version !== this.#version) this.#kept.clear();
      this.#version = version;
    } catch (err) {
      if (this.#version !== undefined)
        this.options.logger?.warn(
          { err },
          "group views' version unreadable: group rows are not kept until it is",
        );
      this.#version = undefined;
      this.#kept.clear();
    } finally {
      this.#polling = undefined;
    }
  }
}
