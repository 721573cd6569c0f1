// MQTT topic patterns and routing: which route a topic takes and what it captures. Pure.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileRoutes, DEFAULT_ROUTES } from "../../../connectors/mqtt/routes.ts";
import { compileTopicPattern } from "../../../connectors/mqtt/topic-pattern.ts";
import { translate } from "../../../connectors/mqtt/translate.ts";

const connectors = compileTopicPattern("{account}/sweet-home/{device}/status-control/connectors-count");

test("topic pattern: named levels are captured, literal levels must be equal", () => {
  assert.deepEqual(connectors.match("acme/sweet-home/st-1/status-control/connectors-count"), {
    account: "acme",
    device: "st-1",
  });
  assert.equal(connectors.match("acme/sweet-home/st-1/status-control/other"), undefined);
  assert.equal(connectors.filter, "+/sweet-home/+/status-control/connectors-count");
});

test("topic pattern: an empty level, or another number of levels, does not match", () => {
  assert.equal(connectors.match("acme/sweet-home//status-control/connectors-count"), undefined);
  assert.equal(connectors.match("acme/sweet-home/st-1/status-control"), undefined);
  assert.equal(connectors.match("acme/sweet-home/st-1/status-control/connectors-count/x"), undefined);
});

test("topic pattern: match and matchLevels agree", () => {
  for (const topic of ["a/sweet-home/b/status-control/connectors-count", "a/b", "autovolt/d/telemetry"])
    assert.deepEqual(connectors.match(topic), connectors.matchLevels(topic.split("/")));
});

test("routing: a message takes the first route whose pattern matches, with its captures", () => {
  const routes = compileRoutes([
    ...DEFAULT_ROUTES,
    { name: "extra", kind: "telemetry", pattern: "plant/{device}/energy" },
  ]);
  const message = (topic: string) => ({
    topic,
    payload: Buffer.from(JSON.stringify({ energy_wh_total: 5 })),
    receivedAt: Date.now(),
    source: "mqtt",
  });
  const limits = { maxPayloadBytes: 65_536, maxFutureMs: 3_600_000 };
  const extra = translate(routes, message("plant/m-7/energy"), limits);
  assert.equal(extra.route?.name, "extra");
  assert.ok(extra.ok && extra.key === "m-7");
  const own = translate(routes, message("autovolt/m-8/telemetry"), limits);
  assert.equal(own.route?.name, "autovolt-telemetry");
  const none = translate(routes, message("plant/m-7/other"), limits);
  assert.ok(!none.ok && none.deadLetter.reason === "unknown_topic");
});
