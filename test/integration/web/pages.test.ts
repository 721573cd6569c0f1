// The fleet and energy pages in a real Chromium against the real API: a viewer sees no operator action and an
// operator resolves a ticket; the energy page's totals and bars are the API's for the same range, a DST day has 23
// hourly bars, and its CSV holds exactly the rows shown; keyboard basics. Screenshots at both widths.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { DateTime } from "luxon";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildWeb } from "../../../web/build.ts";
import { launchChromium } from "../../support/browser.ts";
import { type Harness, harness } from "../api/support.ts";
import {
  ApiInstance,
  DST_DAY,
  lowContrast,
  screenshots,
  seedWebFleet,
  signIn,
  type WebFleet,
  ZONE,
} from "./support.ts";

let h: Harness;
let fleet: WebFleet;
let api: ApiInstance;
let browser: Browser;
let ticketId: number;

before(async () => {
  await buildWeb();
  h = await harness("web-pages");
  fleet = await seedWebFleet(h);
  const { rows } = await h.pool.query<{ id: number }>(
    `INSERT INTO review_tickets (device_id, kind, details, dedupe_key)
     VALUES ($1, 'reset_storm', '{"resets": 7, "date": "2025-03-30"}', $2) RETURNING id`,
    [fleet.meter, `${h.tag}-reset-storm`],
  );
  ticketId = Number(rows[0]?.id);
  api = await ApiInstance.start(h);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await api?.stop();
  await h?.close();
});

async function signedIn(key: string, hash: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: "en-US", timezoneId: "UTC", acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${api.base}/app/${hash}`);
  await signIn(page, key);
  return { context, page };
}

const siteSection = (page: Page) => page.locator("section.site", { hasText: fleet.siteId });

test("fleet: a viewer sees the site's system and the open ticket, and no operator action", async () => {
  const { context, page } = await signedIn(h.keys.viewer, "#/fleet");
  await siteSection(page).getByRole("link", { name: "Rooftop PV and storage 001", exact: true }).waitFor();
  assert.match((await siteSection(page).textContent()) ?? "", /0 online.*0 offline.*5 unknown/);
  await page.getByRole("cell", { name: fleet.meter }).waitFor();
  assert.equal(await page.getByRole("button", { name: /Resolve/ }).count(), 0);
  await context.close();
});

test("fleet: an operator resolves the ticket", async () => {
  const { context, page } = await signedIn(h.keys.operator, "#/fleet");
  const resolve = page.getByRole("button", { name: `Resolve ticket ${ticketId}` });
  assert.deepEqual(await lowContrast(page), [], "text below 4.5:1");
  await screenshots(page, "fleet");
  await resolve.click();
  await page
    .getByRole("status")
    .filter({ hasText: `Ticket ${ticketId} resolved.` })
    .waitFor();
  const { rows } = await h.pool.query("SELECT status FROM review_tickets WHERE id = $1", [ticketId]);
  assert.equal(rows[0]?.status, "resolved");
  await context.close();
});

/** The API's answer for the same local dates, computed here with luxon. */
async function apiRows(resolution: "hourly" | "daily", scope: string, id: string, from: string, to: string) {
  const start = (date: string) => DateTime.fromISO(date, { zone: ZONE }).startOf("day").toUTC().toISO();
  const query = new URLSearchParams({
    scope,
    id,
    from: String(start(from)),
    to: String(start(DateTime.fromISO(to).plus({ days: 1 }).toISODate() ?? "")),
  });
  const res = await h.call("GET", `/api/v1/energy/${resolution}?${query}`, { role: "viewer" });
  assert.equal(res.status, 200);
  return res.body.rows as Record<string, unknown>[];
}

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trimEnd().split("\r\n");
  const columns = (head ?? "").split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [columns[i], v])));
}

test("energy: a DST day has 23 hourly bars, the total is the API's, and the CSV holds exactly the rows shown", async () => {
  const hash = `#/energy?scope=site&id=${fleet.siteId}&resolution=hourly&from=${DST_DAY}&to=${DST_DAY}`;
  const { context, page } = await signedIn(h.keys.viewer, hash);
  const total = page.locator('dd[data-field="energy_total"]');
  await total.waitFor();
  const rows = await apiRows("hourly", "site", fleet.siteId, DST_DAY, DST_DAY);
  assert.equal(rows.length, 23);
  const wh = rows.reduce((sum, r) => sum + Number(r.energy_wh), 0);
  assert.equal(Number(await total.getAttribute("data-wh")), wh);
  assert.equal(await total.textContent(), `${(wh / 1000).toFixed(2)}\u00a0kWh`);
  assert.equal(await page.locator('dd[data-field="bars"]').textContent(), "23");
  assert.equal(await page.locator("table.energy-rows tbody tr").count(), 23);

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download CSV" }).click(),
  ]);
  const csv = parseCsv(await readFile(await download.path(), "utf8"));
  assert.deepEqual(
    csv.map((r) => [r.hour_start, r.local_time, Number(r.energy_wh), r.currency, Number(r.devices)]),
    rows.map((r) => [r.hour_start, r.local_time, r.energy_wh, r.currency, r.devices]),
  );
  const shownHours = await page.locator("table.energy-rows tbody tr td:first-child").allTextContents();
  assert.deepEqual(
    shownHours,
    csv.map((r) => `${r.local_time?.slice(0, 10)} ${r.local_time?.slice(11, 16)} ${r.local_time?.slice(19)}`),
  );
  await screenshots(page, "energy");
  await context.close();
});

test("energy: a system's days over a week equal the API's", async () => {
  const today = DateTime.now().setZone(ZONE).toISODate() ?? "";
  const from = DateTime.fromISO(today).minus({ days: 6 }).toISODate() ?? "";
  const { context, page } = await signedIn(h.keys.viewer, `#/energy?scope=system&id=${fleet.systemId}`);
  const total = page.locator('dd[data-field="energy_total"]');
  await total.waitFor();
  assert.equal(await page.getByLabel("From (local date)").inputValue(), from);
  const rows = await apiRows("daily", "system", String(fleet.systemId), from, today);
  const wh = rows.reduce((sum, r) => sum + Number(r.energy_wh), 0);
  // The inverter's 2 kWh are attributed to hours by time: when its last 150 minutes span a local midnight, two
  // days share them in fractions whose float sum may miss 2000 in the last bit.
  assert.ok(Math.abs(wh - 2000) < 1e-9, `${wh} Wh`);
  assert.equal(Number(await total.getAttribute("data-wh")), wh);
  assert.equal(await page.locator("table.energy-rows tbody tr").count(), rows.length);
  await context.close();
});

test("keyboard: the first Tab reaches the skip link, which moves focus to the page; every field has a label", async () => {
  const { context, page } = await signedIn(h.keys.viewer, `#/energy?scope=site&id=${fleet.siteId}`);
  await page.locator('dd[data-field="energy_total"]').waitFor();
  await page.locator("body").focus();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
  const unlabelled = await page.evaluate(
    () =>
      [...document.querySelectorAll("input, select, button")].filter(
        (el) =>
          !(el as HTMLInputElement).labels?.length &&
          !el.getAttribute("aria-label") &&
          !el.textContent?.trim(),
      ).length,
  );
  assert.equal(unlabelled, 0);
  assert.deepEqual(await lowContrast(page), [], "text below 4.5:1");
  await context.close();
});

test("sign-in page at both widths", async () => {
  const page = await (await browser.newContext({ locale: "en-US" })).newPage();
  await page.goto(`${api.base}/app/`);
  await page.getByLabel("API key").waitFor();
  await screenshots(page, "sign-in");
});
