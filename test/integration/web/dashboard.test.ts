// The system page in a real Chromium against the real services: sign-in with a key (kept in sessionStorage only),
// the live feed's snapshot in the browser's number formats, a reading published over MQTT changing the figures
// within 2 s, a broadcast, the API stopped and started again (offline, then live figures without a reload), and a
// silent feed (stale, then replaced). Screenshots at both widths.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import type { Browser, Page } from "playwright-core";
import { type MqttConnector, startMqttConnector } from "../../../connectors/mqtt/connector.ts";
import { createLogger } from "../../../ground/logger.ts";
import { buildWeb, formatSizes } from "../../../web/build.ts";
import { launchChromium } from "../../support/browser.ts";
import { config } from "../../support/stack.ts";
import { type Harness, harness } from "../api/support.ts";
import { ApiInstance, lowContrast, screenshots, seedWebFleet, signIn, type WebFleet } from "./support.ts";

let h: Harness;
let fleet: WebFleet;
let api: ApiInstance;
let connector: MqttConnector;
let publisher: MqttClient;
let browser: Browser;
let page: Page;
/** Uncaught errors and Content-Security-Policy refusals in the page: there must be none. */
const pageErrors: string[] = [];

before(async () => {
  h = await harness("web-live");
  fleet = await seedWebFleet(h);
  api = await ApiInstance.start(h);
  connector = await startMqttConnector(
    { ...config, mqtt: { ...config.mqtt, clientId: `${h.tag}-connector` } },
    createLogger("test", "warn"),
    { cleanSession: true },
  );
  publisher = await mqtt.connectAsync(config.mqtt.url, {
    username: config.mqtt.username,
    password: config.mqtt.password,
    clientId: `${h.tag}-publisher`,
  });
  browser = await launchChromium();
  page = await (await browser.newContext({ locale: "en-US", timezoneId: "UTC" })).newPage();
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (m) => {
    if (m.text().includes("Content Security Policy")) pageErrors.push(m.text());
  });
});

after(async () => {
  await browser?.close();
  await publisher?.endAsync();
  await connector?.stop();
  await api?.stop();
  await h?.close();
});

const figure = (field: string) => page.locator(`dd[data-field="${field}"]`);
const connection = (state: string) => page.locator(`p.connection[data-state="${state}"]`);

/** Publishes an inverter reading as a device does; returns when the broker has it. */
async function publish(powerW: number, energyWhTotal: number): Promise<void> {
  await publisher.publishAsync(
    `autovolt/${fleet.inverter}/telemetry`,
    JSON.stringify({ energy_wh_total: energyWhTotal, power_w: powerW, ts: new Date().toISOString() }),
    { qos: 1 },
  );
}

test("the build writes the app, printing its sizes: script and styles well under 150 kB gzipped", async (t) => {
  const assets = await buildWeb();
  for (const line of formatSizes(assets).trimEnd().split("\n")) t.diagnostic(line);
  const gzipped = assets.filter((a) => a.file !== "index.html").reduce((sum, a) => sum + a.gzipBytes, 0);
  assert.ok(gzipped < 150_000, `${gzipped} bytes gzipped`);
});

test("a wrong key is refused; a viewer's key signs in and stays in this tab's sessionStorage only", async () => {
  await page.goto(`${api.base}/app/#/systems/${fleet.systemId}`);
  await page.getByLabel("API key").fill("wl_AAAAAAAAAAAA_not-a-key");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "unknown or revoked" }).waitFor();
  await signIn(page, h.keys.viewer);
  const stored = await page.evaluate(() => ({
    session: Object.values(sessionStorage),
    local: localStorage.length,
    cookies: document.cookie,
  }));
  assert.deepEqual(stored, { session: [h.keys.viewer], local: 0, cookies: "" });
});

test("the system page shows the live feed's snapshot", async () => {
  await connection("live").waitFor();
  await page.getByRole("heading", { level: 1, name: /Rooftop PV and storage/ }).waitFor();
  await page.waitForFunction(
    () => document.querySelector('dd[data-field="total_generation_kwh"]')?.textContent !== "…",
  );
  assert.equal(await figure("total_generation_kwh").textContent(), "2.00\u00a0kWh");
  assert.equal(await figure("current_generation_kw").textContent(), "1.20\u00a0kW");
  assert.equal(await figure("total_savings").textContent(), "€0.60");
  assert.equal(await figure("co2_offset_kg").textContent(), "1.00\u00a0kg");
  assert.equal(await figure("devices").textContent(), "0 / 5");
  assert.equal(await page.locator("details table tbody tr").count(), 24);
  assert.deepEqual(await lowContrast(page), [], "text below 4.5:1");
});

test("figures follow the browser's language: German separators and currency placement", async () => {
  const german = await (await browser.newContext({ locale: "de-DE", timezoneId: "UTC" })).newPage();
  await german.goto(`${api.base}/app/#/systems/${fleet.systemId}`);
  await signIn(german, h.keys.viewer);
  const total = german.locator('dd[data-field="total_generation_kwh"]');
  await total.filter({ hasText: "2,00\u00a0kWh" }).waitFor();
  assert.equal(await german.locator('dd[data-field="total_savings"]').textContent(), "0,60\u00a0€");
  await german.context().close();
});

test("a reading published over MQTT changes the figures within 2 s", async () => {
  await publish(3456, 2100);
  await figure("current_generation_kw").filter({ hasText: "3.46\u00a0kW" }).waitFor({ timeout: 2000 });
  assert.match(
    (await page.locator('[data-field="last_reading"]').textContent()) ?? "",
    new RegExp(fleet.inverter),
  );
  await screenshots(page, "system");
});

test("an admin's broadcast to the system shows on the page, as text", async () => {
  const res = await fetch(`${api.base}/api/v1/ws/broadcast`, {
    method: "POST",
    headers: { Authorization: `Bearer ${h.keys.admin}`, "Content-Type": "application/json" },
    body: JSON.stringify({ system_id: fleet.systemId, message: "<b>Maintenance</b> at 14:00" }),
  });
  assert.equal(res.status, 202);
  await page.locator(".notice").filter({ hasText: "<b>Maintenance</b> at 14:00" }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator(".notice b").count(), 0, "markup in a message is not rendered");
});

test("the API stops: offline, figures kept; it starts again: live figures without a reload", async () => {
  await page.evaluate(() => {
    (window as unknown as { sameDocument: boolean }).sameDocument = true;
  });
  await api.stop();
  await connection("offline").waitFor({ timeout: 10_000 });
  assert.equal(await figure("current_generation_kw").textContent(), "3.46\u00a0kW", "the last figures stay");
  assert.match((await page.locator(".connection-detail").textContent()) ?? "", /Reconnecting/);
  assert.deepEqual(await lowContrast(page), [], "text below 4.5:1 while offline");
  await screenshots(page, "system-offline");
  await api.start();
  await connection("live").waitFor({ timeout: 30_000 });
  await publish(789, 2200);
  await figure("current_generation_kw").filter({ hasText: "0.79\u00a0kW" }).waitFor({ timeout: 2000 });
  assert.equal(
    await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
    true,
  );
});

test("silent for 75 s the page says stale; silent as long again it replaces the connection", async () => {
  // The page's clock is Playwright's: it jumps over the silence instead of waiting for it.
  const context = await browser.newContext({ locale: "en-US", timezoneId: "UTC" });
  await context.clock.install();
  const quiet = await context.newPage();
  let sockets = 0;
  quiet.on("websocket", () => sockets++);
  await quiet.goto(`${api.base}/app/#/systems/${fleet.systemId}`);
  await signIn(quiet, h.keys.viewer);
  const state = (s: string) => quiet.locator(`p.connection[data-state="${s}"]`);
  await state("live").waitFor();
  await quiet.clock.fastForward("01:16");
  await state("stale").waitFor({ timeout: 5000 });
  assert.match((await quiet.locator(".connection-detail").textContent()) ?? "", /No update since/);
  assert.equal(sockets, 1);
  await quiet.clock.fastForward("01:16");
  await state("live").waitFor({ timeout: 10_000 });
  assert.equal(sockets, 2, "a new connection replaced the silent one");
  await context.close();
});
