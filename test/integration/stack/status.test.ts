import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);

test("stack status --json lists each service running with its URL, passwords masked", async () => {
  const { stdout } = await run("node", ["bin/wattline.js", "stack", "status", "--json"]);
  const rows = JSON.parse(stdout) as { service: string; state: string; url: string }[];
  assert.deepEqual(
    rows.map((r) => r.service),
    ["kafka", "questdb", "postgres", "mosquitto"],
  );
  for (const r of rows) {
    assert.equal(r.state, "running", r.service);
    assert.ok(r.url.length > 0);
  }
  assert.match(rows.find((r) => r.service === "postgres")?.url ?? "", /wattline:\*\*\*@/);
});

test("stack up a second time is harmless and fast", async () => {
  const { stderr } = await run("node", ["bin/wattline.js", "stack", "up"]);
  assert.equal((stderr.match(/already running/g) ?? []).length, 4);
});

test("stack logs names the known services for an unknown one", async () => {
  await assert.rejects(
    run("node", ["bin/wattline.js", "stack", "logs", "redis"]),
    (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /kafka, questdb, postgres, mosquitto/);
      return true;
    },
  );
});
