// The registry cache's LISTEN connection against the stack's Postgres: killed under it, it comes back by itself,
// listens again and reloads what changed while it was away; `stop` ends it for good.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import type { Logger } from "../../../ground/logger.ts";
import { postgresPool } from "../../../ground/postgres.ts";
import { LISTEN_APPLICATION_NAME, RegistryCache } from "../../../pipelines/ledger/registry-cache.ts";
import { migrate } from "../../../schemas/postgres/migrate.ts";
import { config, unique } from "../../support/stack.ts";

const site = unique("regcache-site");
const device = unique("regcache-dev");
const pool = postgresPool(config, 2);

interface LogLine {
  level: number;
  msg: string;
}
const WARN = 40;
const INFO = 30;

/** A logger whose lines the test reads. */
function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino<never>(
    { level: "debug" },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

/** Each cache gets its own application_name, so that the test kills its connection and no other process's. */
const appName = () => `${LISTEN_APPLICATION_NAME}-${unique("t")}`;

async function listeners(name: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1",
    [name],
  );
  return Number(rows[0]?.n);
}

/** Terminates the cache's LISTEN backend and waits until it is gone; returns how many backends were killed. */
async function killListener(name: string): Promise<number> {
  const { rows } = await pool.query<{ killed: boolean }>(
    "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1",
    [name],
  );
  assert.ok(await until(async () => (await listeners(name)) === 0, 5_000), "the killed backend went away");
  return rows.filter((r) => r.killed).length;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

const setTimezone = (tz: string) =>
  pool.query("UPDATE devices SET timezone = $2 WHERE device_id = $1", [device, tz]);

before(async () => {
  await migrate(config, pino({ level: "warn" }));
  await pool.query("INSERT INTO sites (id, name, timezone) VALUES ($1, $2, 'UTC')", [site, site]);
  await pool.query(
    "INSERT INTO devices (device_id, site_id, kind, timezone) VALUES ($1, $2, 'meter', 'UTC')",
    [device, site],
  );
});

after(async () => {
  await pool.query("DELETE FROM devices WHERE device_id = $1", [device]);
  await pool.query("DELETE FROM sites WHERE id = $1", [site]);
  await pool.end();
});

test("a killed LISTEN connection reconnects, listens again and reloads what changed meanwhile", async () => {
  const { logger, lines } = capturingLogger();
  const cache = new RegistryCache(pool, logger);
  const name = appName();
  // A first wait long enough that the change below surely lands while the cache is disconnected.
  await cache.follow(config.postgres.url, { applicationName: name, retryMinMs: 1_500 });
  try {
    const tz = () => cache.settingsFor(device).timezone;
    assert.equal(tz(), "UTC", "follow loads the registry");
    await setTimezone("Europe/Berlin");
    assert.ok(
      await until(() => tz() === "Europe/Berlin", 5_000),
      "a change is seen through the notification",
    );

    assert.equal(await killListener(name), 1, "exactly the cache's LISTEN backend was terminated");
    // Changed while disconnected: its notification goes nowhere, only the reload on reconnection can bring it.
    await setTimezone("Asia/Tokyo");
    assert.equal(await listeners(name), 0, "the change was made while the cache had no connection");
    assert.equal(tz(), "Europe/Berlin");
    assert.ok(await until(() => tz() === "Asia/Tokyo", 8_000), `reloaded after reconnecting (still ${tz()})`);
    assert.equal(await listeners(name), 1, "one LISTEN connection again");

    // And it listens again: a later change arrives through its notification.
    await setTimezone("America/New_York");
    assert.ok(await until(() => tz() === "America/New_York", 5_000), `notified after reconnecting (${tz()})`);

    // A second loss is recovered the same way, the backoff having been reset by the success.
    assert.equal(await killListener(name), 1);
    await setTimezone("Australia/Sydney");
    assert.ok(await until(() => tz() === "Australia/Sydney", 8_000), `second recovery (${tz()})`);

    // The reload that brought the change ends the reconnection; its log line follows it.
    const infos = () => lines.filter((l) => l.level === INFO && l.msg.includes("reconnected"));
    await until(() => infos().length >= 2, 2_000);
    assert.equal(lines.filter((l) => l.level === WARN).length, 2, "one warning per loss");
    assert.equal(infos().length, 2, "one info per recovery");
  } finally {
    await cache.stop();
  }
  assert.equal(await listeners(name), 0, "stop closes the LISTEN connection");
});

test("stop while waiting to reconnect ends the reconnecting for good", async () => {
  const { logger, lines } = capturingLogger();
  const cache = new RegistryCache(pool, logger);
  const name = appName();
  await cache.follow(config.postgres.url, { applicationName: name, retryMinMs: 300 });
  assert.equal(await killListener(name), 1);
  assert.ok(await until(() => lines.some((l) => l.level === WARN), 5_000), "the loss is noticed");
  await cache.stop();
  await sleep(1_500);
  assert.equal(await listeners(name), 0, "no connection opened after stop");
  assert.equal(lines.filter((l) => l.level === INFO).length, 0, "no recovery after stop");
});
