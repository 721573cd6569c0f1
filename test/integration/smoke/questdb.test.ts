import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { questdbPool, questdbSender } from "../../../ground/questdb.ts";
import { config, unique } from "../../support/stack.ts";

test("questdb: rows written over ILP/HTTP are read back over PGWire", async () => {
  const table = unique("smoke");
  const sender = await questdbSender(config);
  const ts = Date.UTC(2025, 0, 1, 12);
  sender.table(table).symbol("device_id", "d1").floatColumn("energy_wh", 12.5);
  await sender.at(BigInt(ts) * 1000n, "us");
  sender.table(table).symbol("device_id", "d2").floatColumn("energy_wh", 7);
  await sender.at(BigInt(ts + 1000) * 1000n, "us");
  await sender.flush();
  await sender.close();

  const pool = questdbPool(config);
  try {
    let rows: { device_id: string; energy_wh: number }[] = [];
    for (let i = 0; i < 100 && rows.length < 2; i++) {
      rows = await pool
        .query(`SELECT device_id, energy_wh FROM '${table}' ORDER BY timestamp`)
        .then((r) => r.rows)
        .catch(() => []);
      if (rows.length < 2) await sleep(100);
    }
    assert.deepEqual(rows, [
      { device_id: "d1", energy_wh: 12.5 },
      { device_id: "d2", energy_wh: 7 },
    ]);
    await pool.query(`DROP TABLE '${table}'`);
  } finally {
    await pool.end();
  }
});

test("questdb: HTTP refuses requests without the credentials", async () => {
  const res = await fetch(`${config.questdb.httpUrl}/exec?query=SELECT%201`);
  assert.equal(res.status, 401);
});
